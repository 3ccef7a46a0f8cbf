"""A file (txt, md, html, pdf, docx) → a cleaned :class:`PolicyDocument` with its metadata.

Files come in two shapes. Plain text and PDF text layers are a stream of lines that must be
repaired; web pages (:mod:`assistant.reading.webpages`), Markdown (:mod:`assistant.reading.markdown`) and Word
files already know their paragraphs, headings and tables, and are read as blocks.

Text extracted from published PDF and Word files carries artifacts: lines wrapped mid-sentence
(often with a blank line between visual lines), page numbers, page breaks that start a line with a
space, titles broken across lines, Word markers such as ``[bookmark: _GoBack]``, and ASCII
punctuation standing in for Chinese punctuation. :func:`clean_text` repairs them without ever
joining a line onto a numbered heading.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..language.text import display_width, is_cjk
from ..types import PolicyDocument
from .charsets import EncodingError, decode_chinese
from .glyphs import repair_pdf_text
from .markdown import META, read_markdown
from .metadata import DATE_RE, DOC_NUMBER_RE, STATUS_RE, TITLE_END, extract_meta
from .numbering import Numbering, match_marker
from .tables import PARAGRAPH, line_tables, render_table
from .validity import read_validity
from .webpages import INFO_LABELS, read_html

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


class ParseError(Exception):
    """A file that cannot be turned into a document; the message says why and what to do."""


# --- reading --------------------------------------------------------------------------------


@dataclass
class Source:
    """What a reader got from a file: a raw text stream or ready blocks, and stated details."""

    text: str | None = None
    blocks: list[tuple[str, str]] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)


def read_source(path: Path, data: bytes | None = None) -> Source:
    """Read a supported file; :class:`ParseError` with a reason when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(
            f"unsupported file type {suffix or '(none)'}: use .txt, .md, .html, .pdf or .docx"
        )
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise ParseError("the file is empty")
    if suffix == ".txt":
        return Source(text=decode_text(data))
    if suffix in (".md", ".markdown"):
        blocks, hints = read_markdown(decode_text(data))
        return Source(blocks=blocks, hints=hints)
    if suffix in (".html", ".htm"):
        if b"\x00" in data[:4096]:
            raise ParseError("the file looks binary, not a web page (NUL bytes found)")
        try:
            page = read_html(data)
        except EncodingError as exc:
            raise ParseError(str(exc)) from exc
        return Source(blocks=page.blocks, hints=page.hints)
    if suffix == ".pdf":
        return Source(text=_read_pdf(path, data))
    return Source(blocks=_read_docx(path, data))


def read_file_text(path: Path) -> str:
    """The text of a supported file, one block a line."""
    source = read_source(path)
    return source.text if source.text is not None else "\n".join(t for t, _ in source.blocks)


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else the Chinese encoding it is in."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise ParseError("the file looks binary, not text (NUL bytes found)")
    try:
        return decode_chinese(data).text
    except EncodingError as exc:
        raise ParseError(str(exc)) from exc


def _read_pdf(path: Path, data: bytes) -> str:
    if not data.startswith(b"%PDF"):
        raise ParseError("not a PDF file (no %PDF header); the file may be corrupt")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ParseError(f"cannot read the PDF ({exc}); the file may be corrupt") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise ParseError("the PDF has no text layer (a scan?): run OCR on it first")
    return repair_pdf_text(text)


def _read_docx(path: Path, data: bytes) -> str:
    if not data.startswith(b"PK"):
        raise ParseError("not a .docx file (not a zip container); the file may be corrupt")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise ParseError(f"cannot read the Word file ({exc}); the file may be corrupt") from exc
    except Exception as exc:  # zipfile/lxml raise a zoo of errors on damaged files
        raise ParseError(f"cannot read the Word file ({exc.__class__.__name__}: {exc})") from exc
    blocks = _docx_blocks(document)
    if not any(text.strip() for text, _ in blocks):
        raise ParseError("the Word file has no text")
    return blocks


def _docx_blocks(document) -> list[tuple[str, str]]:
    """Paragraphs and tables in document order; Word heading styles become headings."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[tuple[str, str]] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            style = (item.style.name if item.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            for line in item.text.split("\n"):
                if line.strip():
                    blocks.append((line, f"h{min(int(m.group(1)) + 1, 6)}" if m else PARAGRAPH))
        elif isinstance(item, Table):
            grid = [[cell.text for cell in row.cells] for row in item.rows]
            blocks.extend(render_table(grid))
    return blocks


# --- cleanup ----------------------------------------------------------------------------------

_MARKUP = re.compile(r"\[(?:bookmark|_?Toc|_GoBack)[^\]]*\]")
_PAGE_NUMBER = re.compile(r"^(?:[-—–]\s*)?[0-9０-９]{1,3}(?:\s*[-—–])?$|^第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?$")
#: A date broken at every number, as pages saved line by line at each inline tag give it
#: (``202`` / ``5`` / ``年`` / ``12`` / ``月`` / ``9`` / ``日``): joined before its numbers could be
#: taken for page numbers.
_SPLIT_DATE = re.compile(r"(?m)^[ \t]*\d{1,4}[ \t]*(?:\n[ \t]*\d{1,3}[ \t]*)?\n[ \t]*年[ \t]*\n[ \t]*\d{1,2}[ \t]*\n"
                         r"[ \t]*月[ \t]*\n[ \t]*\d{1,2}[ \t]*\n[ \t]*日[ \t]*$")
_OPENERS = "（(《“〔[［【「‘"
_CLOSERS = "）)》”〕]］】」’"
_CONTINUES = "，、（《“‘〔,-—–/"
#: A line that is only a number or a mark (“, ”, 〔, 〕…): text whose inline markup (a link, a
#: styled number) broke its lines around these pieces, which belong to the lines beside them.
_FRAGMENT = re.compile(r"^(?:[0-9０-９]+(?:[.．][0-9０-９]+)?|[“”‘’\"「」『』〔〕（）()【】［］、，,；;：:。])$")
#: What a line can start with only as the rest of the line before (号, 年, 〕, ）, 。…).
_TAIL_START = "年月日号〕）)”’」』%％万亿元个，,、。；;：:/／"

def is_special_line(line: str) -> bool:
    """Header and footer lines that stand alone: dates, 文号, status, 抄送, 印发, letterheads."""
    s = line.strip()
    if DATE_RE.fullmatch(s) or DOC_NUMBER_RE.fullmatch(s) or STATUS_RE.match(s):
        return True
    if s.startswith("抄送") or (s.endswith("印发") and DATE_RE.search(s)):
        return True
    if re.fullmatch(r"[（(]此件[^）)]*[）)]", s):
        return True
    return len(s) <= 24 and s.endswith("文件") and not any(p in s for p in "，。、")


def _wrap_width(lines: list[str]) -> int | None:
    """The display width from which a line counts as full, or None for unwrapped text.

    Hard-wrapped text has many lines of (nearly) the same width. The first line of a
    paragraph is shorter by its two-character indent, which extraction drops, and ASCII
    punctuation narrows a line a little, so the threshold sits below the common width.
    """
    widths = [display_width(line) for line in lines if len(line) >= 12]
    if len(widths) < 8:
        return None
    mode, _ = Counter(w // 2 * 2 for w in widths).most_common(1)[0]
    cluster = sorted(w for w in widths if mode - 8 <= w <= mode + 8)
    if len(cluster) < 0.3 * len(widths):
        return None
    return cluster[len(cluster) // 5] - 5


def _broken_inline(lines: list[str]) -> bool:
    """Whether the text's lines were broken around inline pieces (a number, a quotation mark
    or a bracket on a line of its own, the rest of its sentence on the next line): at least
    three such pieces, so that a stray page number does not count."""
    pieces = sum(1 for i, ln in enumerate(lines[:-1])
                 if _FRAGMENT.match(ln) and not ln.isdigit() or ln.isdigit() and lines[i + 1][0] in _TAIL_START)
    return pieces >= 3


def _unbalanced(line: str) -> bool:
    depth = 0
    for ch in line:
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS and depth:
            depth -= 1
    return depth > 0


def text_blocks(raw: str) -> tuple[list[str], list[str]]:
    """A text's paragraphs and their kinds: tables saved one cell a line (a web page's table
    copied as text) become a header row and one row a line, as a web page's table does; the
    text around them is cleaned as any text is. No table: the kinds are left empty."""
    lines = [ln.strip() for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [ln for ln in lines if ln]
    tables = line_tables(lines)
    if not tables:
        return clean_text(raw), []
    # Whether lines were broken around inline pieces is a property of the whole text.
    inline = _broken_inline(lines)
    paragraphs: list[str] = []
    kinds: list[str] = []
    at = 0
    for start, end, grid in [*tables, (len(lines), len(lines), None)]:
        text = clean_text("\n".join(lines[at:start]), inline) if start > at else []
        paragraphs += text
        kinds += [PARAGRAPH] * len(text)
        for block, kind in render_table(grid, header_rows=1) if grid else []:
            paragraphs.append(block)
            kinds.append(kind)
        at = end
    return paragraphs, kinds


def clean_text(raw: str, inline: bool | None = None) -> list[str]:
    """Repair extraction artifacts and return the text as paragraphs (``inline``: whether its
    lines were broken around inline pieces, when known from a larger text)."""
    raw = _MARKUP.sub("", raw).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    raw = _SPLIT_DATE.sub(lambda m: re.sub(r"\s+", "", m.group(0)), raw)
    stripped = [ln.replace("\t", " ").replace("\u3000", " ").strip() for ln in raw.split("\n")]
    stripped = [ln for ln in stripped if ln]
    inline = _broken_inline(stripped) if inline is None else inline
    # In text broken around inline pieces, a bare number is a figure of the sentence (文号 136,
    # 9 月), not a page number.
    lines = [ln for ln in stripped if inline or not _PAGE_NUMBER.match(ln)]
    width = _wrap_width(lines)
    numbering = Numbering()
    is_heading = [numbering.accept(line) is not None for line in lines]

    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current = _join(current, line) if current else line
        if i + 1 == len(lines):
            break
        nxt = lines[i + 1]
        if is_heading[i + 1] or is_special_line(nxt) or (is_special_line(line) and not line.startswith("抄送")):
            join = False
        elif (inline and (_FRAGMENT.match(line) or _FRAGMENT.match(nxt) or nxt[0] in _TAIL_START)
              or _unbalanced(line)
              or width and display_width(line) >= width and not (is_heading[i] and line[-1] in "。")):
            join = True
        elif len(line) >= 20 and is_cjk(line[-1]) and not (is_heading[i] and "。" not in line):
            join = True  # a long line that stops mid-phrase was wrapped
        elif inline and is_cjk(line[-1]) and is_cjk(nxt[0]) and not is_heading[i] and re.search(r"[，,。；;]", current):
            # In text broken around inline pieces a sentence under way (参与 / 响应用户106户)
            # goes on across short lines; a title or a salutation has no comma yet.
            join = True
        else:
            join = line[-1] in _CONTINUES
        if not join:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)

    paragraphs = _rejoin_title(paragraphs)
    if _uses_ascii_punctuation(paragraphs):
        paragraphs = [_repair_punctuation(p) for p in paragraphs]
    return [_tidy_spaces(p) for p in paragraphs]


def clean_blocks(blocks: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Tidy blocks that already are paragraphs (web pages, Markdown, Word) and keep their kinds.

    Nothing is joined across blocks except the opening lines of a title broken by a line break.
    """
    paragraphs: list[str] = []
    kinds: list[str] = []
    for text, kind in blocks:
        text = _MARKUP.sub("", text).replace("\t", " ").replace("\u3000", " ").strip()
        if text:
            paragraphs.append(text)
            kinds.append(kind)
    body = [i for i, k in enumerate(kinds) if k not in (META,)]
    span = _title_span([paragraphs[i] for i in body[:8]])
    if span is not None:
        start, stop = body[span[0]], body[span[1] - 1] + 1
        if stop - start == span[1] - span[0]:  # the title lines are adjacent
            paragraphs[start:stop] = ["".join(paragraphs[start:stop])]
            kinds[start:stop] = [kinds[start]]
    if _uses_ascii_punctuation(paragraphs):
        paragraphs = [_repair_punctuation(p) for p in paragraphs]
    return [_tidy_spaces(p) for p in paragraphs], kinds


def _join(left: str, right: str) -> str:
    # Latin words wrapped across lines need their space back, and so do two numbers (cells of
    # a table row broken one per line); Chinese text needs none.
    if left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return f"{left} {right}"
    if left[-1].isdigit() and right[0].isdigit():
        return f"{left} {right}"
    return left + right


def _rejoin_title(paragraphs: list[str]) -> list[str]:
    """Join the opening lines of a title broken across lines (``…高质量发展`` + ``新动能的实施意见``)."""
    span = _title_span(paragraphs)
    if span is None:
        return paragraphs
    start, stop = span
    return paragraphs[:start] + ["".join(paragraphs[start:stop])] + paragraphs[stop:]


def _title_span(paragraphs: list[str]) -> tuple[int, int] | None:
    """The lines a title is broken across, at the top (after any 文号 or status lines)."""
    first = 0
    while first < min(len(paragraphs), 4) and is_special_line(paragraphs[first]):
        first += 1
    head_end = first
    for p in paragraphs[first:first + 8]:
        if is_special_line(p) or any(c in p for c in "。；：:") or len(p) > 80 or match_marker(p):
            break
        head_end += 1
    for start in range(first, head_end):
        for stop in range(head_end, start + 1, -1):
            if TITLE_END.search("".join(paragraphs[start:stop])):
                return start, stop
    return None


def _uses_ascii_punctuation(paragraphs: list[str]) -> bool:
    text = "".join(paragraphs)
    return len(re.findall(r"[\u4e00-\u9fff][,.:;][\u4e00-\u9fff]", text)) >= 5


def _repair_punctuation(p: str) -> str:
    """ASCII , . : ; ( ) used in Chinese text become their Chinese forms."""
    out = list(p)
    n = len(out)

    def cjkish(ch: str) -> bool:
        return is_cjk(ch) or ch in "）》”」’0123456789０１２３４５６７８９"

    for i, ch in enumerate(out):
        prev = out[i - 1] if i else ""
        nxt = out[i + 1] if i + 1 < n else ""
        if ch == "(" and (is_cjk(nxt) or is_cjk(prev)):
            out[i] = "（"
        elif ch == ")" and (is_cjk(prev) or is_cjk(nxt) or prev == "）"):
            out[i] = "）"
    for i, ch in enumerate(out):
        prev = out[i - 1] if i else ""
        nxt = out[i + 1] if i + 1 < n else ""
        if ch == "," and prev and cjkish(prev) and not (prev.isascii() and nxt.isascii() and nxt.isdigit()):
            out[i] = "，"
        elif ch == "." and prev and (is_cjk(prev) or prev in "）》”」") and not (nxt.isascii() and nxt.isalnum()):
            out[i] = "。"
        elif ch == ":" and prev and is_cjk(prev):
            out[i] = "："
        elif ch == ";" and prev and is_cjk(prev):
            out[i] = "；"
    return "".join(out)


def _tidy_spaces(p: str) -> str:
    """Drop the spaces converters put between Chinese text and digits or Latin words."""

    def keep_between_latin(m: re.Match[str]) -> str:
        return m.group(0) if p[m.start() - 1].isascii() and p[m.end()].isascii() else ""

    return re.sub(r"(?<=\S)[ \u00a0]+(?=\S)", keep_between_latin, p)


# --- entry point ------------------------------------------------------------------------------


#: How far into a text its info table may start (after a portal's navigation lines).
_INFO_TABLE_WINDOW = 80


def text_info_table(paragraphs: list[str]) -> tuple[dict[str, str], int]:
    """A portal's info table kept in plain text (“索 引 号：” then its value on the next line,
    or “文号：…” on one line): (its fields as hints, the index of the first paragraph after
    it); ({}, 0) unless at least three labels stand together."""
    # A label may end the line of the value before it (“…能源局成文日期：”).
    labels = re.compile("(?=(?:" + "|".join(sorted(INFO_LABELS, key=len, reverse=True)) + ")[：:])")
    head = [piece for p in paragraphs[:_INFO_TABLE_WINDOW] for piece in labels.split(p) if piece]
    found: dict[str, str] = {}
    first = last = None
    i = 0
    while i < len(head):
        label, _, value = head[i].partition("：") if "：" in head[i] else head[i].partition(":")
        key = INFO_LABELS.get(re.sub(r"\s+", "", label))
        if key and (value.strip() or i + 1 < len(head)):
            if not value.strip():
                value = head[i + 1]
                i += 1
            found.setdefault(key, value.strip().strip("()（）") if key == "doc_number" else value.strip())
            first = i if first is None else first
            last = i
        elif first is not None and i - last > 2:
            break
        i += 1
    if len(found) < 3 or last is None:
        return {}, 0
    # The body starts at the paragraph after the one that holds the table's last value.
    end = _paragraph_of(paragraphs, head, last)
    return found, end + 1


def _paragraph_of(paragraphs: list[str], pieces: list[str], index: int) -> int:
    """The paragraph that piece ``index`` of the paragraphs cut into ``pieces`` comes from."""
    consumed = sum(len(p) for p in pieces[:index + 1])
    total = 0
    for j, p in enumerate(paragraphs):
        total += len(p)
        if total >= consumed:
            return j
    return len(paragraphs) - 1


def file_hash(data: bytes) -> str:
    """Content hash of a file, used to skip unchanged files on ingest."""
    return hashlib.sha256(data).hexdigest()


def doc_id_for(path: Path) -> str:
    """A stable id for a document: its file name without the suffix."""
    return re.sub(r"\s+", "-", path.stem.strip())


def parse_file(path: Path) -> PolicyDocument:
    """Read, clean and describe one file; :class:`ParseError` if it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(f"no such file: {path}")
    data = path.read_bytes()
    source = read_source(path, data)
    hints = dict(source.hints)
    if source.text is not None:
        paragraphs, kinds = text_blocks(source.text)
        # A portal page saved as text keeps its info table as label and value lines, after the
        # site's navigation: the table states the details, the body starts after it.
        table, end = text_info_table(paragraphs)
        if table:
            hints = {**table, **hints}
            paragraphs, kinds = paragraphs[end:], kinds[end:]
    else:
        paragraphs, kinds = clean_blocks(source.blocks)
    if not paragraphs:
        raise ParseError("no text left after cleanup")
    meta = extract_meta(paragraphs, doc_id_for(path), str(path), file_hash(data), hints)
    meta.validity = read_validity(paragraphs, meta, hints, kinds)
    # A regulation is dated by its latest amendment; a page's label line (成文日期：…) dates a
    # document whose text lost its signature date.
    if meta.validity.issued and (meta.validity.first_adopted or meta.date is None):
        meta.date = meta.validity.issued
    return PolicyDocument(meta=meta, paragraphs=paragraphs, kinds=kinds)
