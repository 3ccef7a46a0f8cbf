"""A file (txt, md, pdf, docx) → a cleaned :class:`PolicyDocument` with its metadata.

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
from pathlib import Path

from .charsets import EncodingError, decode_chinese
from .glyphs import repair_pdf_text
from .text import Numbering, display_width, is_cjk, nfkc
from .types import DocumentMeta, PolicyDocument

SUPPORTED_SUFFIXES = {".txt", ".md", ".pdf", ".docx"}


class ParseError(Exception):
    """A file that cannot be turned into a document; the message says why and what to do."""


# --- reading --------------------------------------------------------------------------------


def read_file_text(path: Path) -> str:
    """The raw text of a supported file, or :class:`ParseError` with a reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(
            f"unsupported file type {suffix or '(none)'}: use .txt, .md, .pdf or .docx"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("the file is empty")
    if suffix in (".txt", ".md"):
        return decode_text(data)
    if suffix == ".pdf":
        return _read_pdf(path, data)
    return _read_docx(path, data)


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
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    text = "\n".join(lines)
    if not text.strip():
        raise ParseError("the Word file has no text")
    return text


# --- cleanup ----------------------------------------------------------------------------------

_MARKUP = re.compile(r"\[(?:bookmark|_?Toc|_GoBack)[^\]]*\]")
_PAGE_NUMBER = re.compile(r"^(?:[-—–]\s*)?[0-9０-９]{1,3}(?:\s*[-—–])?$|^第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?$")
DATE_RE = re.compile(r"([0-9０-９]{4})\s*年\s*([0-9０-９]{1,2})\s*月\s*([0-9０-９]{1,2})\s*日")
DOC_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]\s*[0-9０-９]{4}\s*[〕\]］】)）]\s*[0-9０-９]{1,4}\s*号"
)
STATUS_RE = re.compile(r"^[（(][^（()）]{0,8}(?:征求意见稿|草案|送审稿|试行)[^（()）]{0,4}[）)]$")
_OPENERS = "（(《“〔[［【「‘"
_CLOSERS = "）)》”〕]］】」’"
_CONTINUES = "，、（《“‘〔,-—–/"
_TITLE_END = re.compile(
    r"(意见|方案|通知|计划|办法|规定|说明|决定|细则|条例|规划|纲要|指引|措施|政策|公告|通告|批复|"
    r"报告|要点|规则|标准|指南|若干措施|行动计划)"
    r"(?:[（(][^（()）]{0,20}[）)])*$"
)


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


def _unbalanced(line: str) -> bool:
    depth = 0
    for ch in line:
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS and depth:
            depth -= 1
    return depth > 0


def clean_text(raw: str) -> list[str]:
    """Repair extraction artifacts and return the text as paragraphs."""
    raw = _MARKUP.sub("", raw).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = []
    for line in raw.split("\n"):
        line = line.replace("\t", " ").replace("\u3000", " ").strip()
        if not line or _PAGE_NUMBER.match(line):
            continue
        lines.append(line)
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
        elif _unbalanced(line) or width and display_width(line) >= width and not (is_heading[i] and line[-1] in "。"):
            join = True
        elif len(line) >= 20 and is_cjk(line[-1]) and not (is_heading[i] and "。" not in line):
            join = True  # a long line that stops mid-phrase was wrapped
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


def _join(left: str, right: str) -> str:
    # Latin words wrapped across lines need their space back; Chinese text needs none.
    if left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return f"{left} {right}"
    return left + right


def _rejoin_title(paragraphs: list[str]) -> list[str]:
    """Join the opening lines of a title broken across lines (``…高质量发展`` + ``新动能的实施意见``)."""
    head_end = 0
    for i, p in enumerate(paragraphs[:8]):
        if is_special_line(p) or any(c in p for c in "。；：:") or len(p) > 80:
            break
        head_end = i + 1
    head = paragraphs[:head_end]
    for start in range(len(head)):
        for stop in range(len(head), start + 1, -1):
            merged = "".join(head[start:stop])
            if _TITLE_END.search(merged) and not _TITLE_END.search(head[stop - 2]):
                return paragraphs[:start] + [merged] + paragraphs[stop:]
    return paragraphs


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


# --- metadata ---------------------------------------------------------------------------------

_ISSUER_END = re.compile(
    r"(人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|[厅局委院部署办])$"
)
_PROVINCES = ["北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门"]
NOTICE_RE = re.compile(r"关于印发《(.+?)》的通知$")


def _iso_date(m: re.Match[str]) -> str:
    y, mo, d = (int(nfkc(g)) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}"


def extract_meta(paragraphs: list[str], doc_id: str, source: str = "", file_hash: str = "") -> DocumentMeta:
    """Read title, issuer, 文号, date, status, level and region from a document's own text."""
    head = paragraphs[:12]
    title = next((p for p in head if _TITLE_END.search(p) and len(p) <= 120), None)
    if title is None:
        title = next((p for p in head if p and not is_special_line(p)), doc_id)
    notice = NOTICE_RE.search(title)
    issuer = None
    m = re.match(r"^(.{2,30}?)关于", title)
    if m and _ISSUER_END.search(m.group(1)):
        issuer = m.group(1)
    if notice:
        title = notice.group(1)

    doc_number = None
    for p in paragraphs[:20] + paragraphs[-10:]:
        m = DOC_NUMBER_RE.fullmatch(p.strip()) or (DOC_NUMBER_RE.search(p) if len(p) < 40 else None)
        if m:
            doc_number = m.group(0)
            break

    date = None
    for p in reversed(paragraphs[-8:]):
        m = DATE_RE.search(p)
        if m and (DATE_RE.fullmatch(p.strip()) or p.strip().endswith("印发")):
            date = _iso_date(m)
            before = p[: m.start()].strip()
            if before and _ISSUER_END.search(before):
                issuer = issuer or before
            break
    if date is None:
        for p in head + paragraphs[:20]:
            m = DATE_RE.fullmatch(p.strip())
            if m:
                date = _iso_date(m)
                break
    if issuer is None:
        # The line just above a closing date is the issuer's signature.
        for i in range(len(paragraphs) - 1, max(len(paragraphs) - 6, 0), -1):
            if DATE_RE.fullmatch(paragraphs[i].strip()) and _ISSUER_END.search(paragraphs[i - 1]):
                issuer = paragraphs[i - 1].strip()
                break
    if issuer is None and title.endswith("起草说明"):
        m = re.search(r"[，。：,]([^，。：,《]{2,15}?)起草了", "，" + "".join(paragraphs[:6]))
        if m:
            issuer = m.group(1)
            place = _place_of(title)
            if place and issuer[0] in "省市县区" and place.endswith(issuer[0]):
                issuer = place + issuer[1:]

    head_text = "".join(head)
    status = "draft" if re.search(r"征求意见稿|草案|送审稿|起草说明", head_text) else "final"
    region = _place_of(title) or _place_of(issuer or "") or _main_province(paragraphs)
    level = _level(region, title, issuer, paragraphs)
    return DocumentMeta(
        doc_id=doc_id,
        title=_strip_title(title),
        issuer=issuer,
        doc_number=doc_number,
        date=date,
        status=status,
        level=level,
        region=region,
        source=source,
        file_hash=file_hash,
    )


def _strip_title(title: str) -> str:
    return title.strip().strip("《》") if title.count("《") == 1 and title.startswith("《") and title.endswith("》") else title.strip()


def _place_of(text: str) -> str | None:
    m = re.match(r"^《?([\u4e00-\u9fff]{2,8}?(?:省|自治区|市|自治州|州|县|区))", text)
    return m.group(1) if m else None


def _main_province(paragraphs: list[str]) -> str | None:
    text = "".join(paragraphs)
    counts = {p: text.count(p) for p in _PROVINCES}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 2 else None


def _level(region: str | None, title: str, issuer: str | None, paragraphs: list[str]) -> str | None:
    for name in (region or "", issuer or ""):
        if name.endswith(("省", "自治区")):
            return "province"
        if name.endswith(("市", "州")):
            return "city"
        if name.endswith(("县", "区")):
            return "county"
    if title.startswith(("国务院", "中共中央")):
        return "national"
    # Otherwise the units a document assigns tasks to tell its level (省经信厅 → province).
    units = re.findall(r"(?:^|[：:、，,])([省市县])[\u4e00-\u9fff]{1,8}(?:厅|局|委|办)", "".join(paragraphs))
    if units:
        top, _ = Counter(units).most_common(1)[0]
        return {"省": "province", "市": "city", "县": "county"}[top]
    return None


# --- entry point ------------------------------------------------------------------------------


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
    raw = read_file_text(path)
    paragraphs = clean_text(raw)
    if not paragraphs:
        raise ParseError("no text left after cleanup")
    meta = extract_meta(paragraphs, doc_id_for(path), str(path), file_hash(path.read_bytes()))
    return PolicyDocument(meta=meta, paragraphs=paragraphs)
