"""A :class:`PolicyDocument` → clause-level chunks with their section paths.

Chinese policy documents number their structure in a few well-known ways, mixed freely:
``第X章`` / ``第X节`` / ``第X条`` for regulations, ``一、`` → ``（一）`` → ``1.`` → ``（1）`` for
opinions and plans, and boxed lists ``专栏N：标题`` with numbered items of their own. A heading
often shares its line with its body (``（一）夯实未来产业创新能力。主动对接…``).

Every numbered unit becomes a node of a tree; each node with text of its own becomes one chunk
carrying the path of headings above it. A node with children also lists its children's
headings, so that a question about a whole list (“遂昌重点发展的五个未来产业是哪些？”) finds one
compact chunk naming all items, while each item stays its own citable clause. The covering
notice, the preamble and the header and footer lines (文号, dates, 抄送, 印发) are chunks too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .parsing import DATE_RE, DOC_NUMBER_RE, NOTICE_RE, STATUS_RE, is_special_line
from .text import Marker, Numbering, normalize, split_sentences
from .types import Clause, PolicyDocument

#: Labels of the chunks that are not numbered clauses.
NOTICE_LABEL = "印发通知"
HEADER_LABEL = "文件信息"
PREAMBLE_LABEL = "序言"
FOOTER_LABEL = "文尾"
CHILDREN_PREFIX = "下设："

_MAX_TITLE = 60
_NOTE_RE = re.compile(r"[（(\[［【]\s*责任单位\s*[:：]")


@dataclass
class _Node:
    marker: Marker | None
    heading: str  # e.g. "（三）加速创新成果转化应用"
    paragraphs: list[tuple[int, str]] = field(default_factory=list)  # (offset, text)
    children: list[_Node] = field(default_factory=list)
    rank: int = -1
    start: int = 0
    line: str = ""  # the heading's paragraph as the document shows it


def split_heading(marker: Marker) -> tuple[str, str]:
    """Split ``marker.rest`` into the heading title and the body sharing its line."""
    rest = marker.rest.strip()
    if marker.kind == "article":
        return "", rest
    m = re.search(r"[。；]", rest)
    if m and m.start() <= _MAX_TITLE:
        title, body = rest[: m.start()], rest[m.end():].strip()
        return title, body
    if len(rest) <= _MAX_TITLE and not m:
        return rest, ""
    return "", rest


def chunk_document(doc: PolicyDocument, max_chars: int = 600) -> list[Clause]:
    """Cut a document into clause chunks with section paths, labels and responsibility notes."""
    meta = doc.meta
    paragraphs = doc.paragraphs
    offsets = []
    pos = 0
    for p in paragraphs:
        offsets.append(pos)
        pos += len(p) + 1

    title_norm = normalize(meta.title)
    notice_end = _notice_end(paragraphs, title_norm)
    first_heading = None
    numbering = Numbering()
    markers: list[Marker | None] = []
    for i, p in enumerate(paragraphs):
        m = numbering.accept(p) if i >= notice_end else None
        markers.append(m)
        if m is not None and first_heading is None:
            first_heading = i
    if first_heading is None:
        first_heading = len(paragraphs)

    header: list[tuple[int, str]] = []
    notice: list[tuple[int, str]] = []
    preamble: list[tuple[int, str]] = []
    footer: list[tuple[int, str]] = []
    root = _Node(None, "", rank=-1)
    stack = [root]

    for i, p in enumerate(paragraphs):
        item = (offsets[i], p)
        if i < notice_end:
            (header if _is_header_line(p, paragraphs, i) else notice).append(item)
            continue
        if i < first_heading:
            if normalize(p) == title_norm or _is_header_line(p, paragraphs, i):
                header.append(item)
            else:
                preamble.append(item)
            continue
        if _is_footer_line(p, paragraphs, i):
            footer.append(item)
            continue
        m = markers[i]
        if m is None:
            stack[-1].paragraphs.append(item)
            continue
        title, body = split_heading(m)
        node = _Node(m, f"{m.marker}{title}" if title else m.marker, rank=m.rank,
                     start=offsets[i], line=p)
        while stack[-1].rank >= m.rank:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)

    clauses: list[Clause] = []

    def add(path: list[str], label_tail: str, texts: list[tuple[int, str]], kind: str,
            children: list[str] | None = None) -> None:
        if not texts and not children:
            return
        body = "\n".join(t for _, t in texts)
        if children:
            body = (body + "\n" if body else "") + CHILDREN_PREFIX + "；".join(children)
        start = texts[0][0] if texts else 0
        end = texts[-1][0] + len(texts[-1][1]) if texts else start
        parts = _split_long(body, max_chars)
        cursor = 0
        for n, part in enumerate(parts):
            tail = label_tail if len(parts) == 1 else f"{label_tail}（第{n + 1}部分）"
            at = body.find(part[:30], cursor)
            part_start = start + max(at, 0)
            cursor = max(at, 0) + len(part)
            part_end = min(part_start + len(part), end) if len(parts) > 1 else end
            clauses.append(_make_clause(meta, path, tail, part, kind, part_start, part_end,
                                        children or []))

    add([NOTICE_LABEL], NOTICE_LABEL, notice, "notice")
    # All of a document's own details (文号, dates, signature, 抄送, 印发) in one chunk.
    header_items = header + footer
    summary = _meta_summary(meta)
    if summary:
        header_items = header_items + [(header_items[-1][0] if header_items else 0, summary)]
    add([HEADER_LABEL], HEADER_LABEL, header_items, "header")
    add([PREAMBLE_LABEL], PREAMBLE_LABEL, preamble, "preamble")

    def walk(node: _Node, path: list[str]) -> None:
        for child in node.children:
            child_path = path + [child.heading]
            texts = [(child.start, child.line)] + child.paragraphs
            child_titles = [c.heading for c in child.children]
            if True:  # every numbered unit is citable, even one whose line is all heading
                add(child_path, " ".join(child_path), texts, "clause" if not child_titles else "section",
                    child_titles)
            walk(child, child_path)

    walk(root, [])
    if root.paragraphs:  # text after the last heading that belongs to no clause
        add([FOOTER_LABEL], FOOTER_LABEL, root.paragraphs, "footer")

    _attach_responsibility(clauses)
    for n, clause in enumerate(clauses):
        clause.ordinal = n
    return clauses


def _meta_summary(meta) -> str:
    """One line restating what the header says, in the words people ask with."""
    status = {"draft": "草案，尚未正式印发", "final": "正式印发"}.get(meta.status, meta.status)
    parts = []
    if meta.issuer:
        parts.append(f"发文机关：{meta.issuer}")
    if meta.doc_number:
        parts.append(f"文号：{meta.doc_number}")
    if meta.date:
        parts.append(f"成文日期：{meta.date_cn()}")
    parts.append(f"状态：{status}")
    return "；".join(parts)


def _notice_end(paragraphs: list[str], title_norm: str) -> int:
    """Index where the attached document starts, when the file opens with a covering notice."""
    if not paragraphs or not NOTICE_RE.search(paragraphs[0]):
        return 0
    for i, p in enumerate(paragraphs[1:40], start=1):
        if normalize(p) == title_norm:
            return i
    return 0


def _is_header_line(p: str, paragraphs: list[str], i: int) -> bool:
    if is_special_line(p) or STATUS_RE.match(p) or DOC_NUMBER_RE.fullmatch(p.strip()):
        return True
    # An issuer's name just above a date line is a signature, not body text.
    nxt = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
    return len(p) <= 30 and not re.search(r"[。，；：,]", p) and bool(DATE_RE.fullmatch(nxt.strip()))


def _is_footer_line(p: str, paragraphs: list[str], i: int) -> bool:
    s = p.strip()
    if s.startswith("抄送") or (s.endswith("印发") and DATE_RE.search(s)) or DATE_RE.fullmatch(s):
        return True
    return _is_header_line(p, paragraphs, i) and i >= len(paragraphs) - 4


def _split_long(text: str, max_chars: int) -> list[str]:
    """Split an oversized clause at sentence boundaries into parts of at most ``max_chars``."""
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for sentence in split_sentences(line) + ["\n"]:
            if sentence == "\n":
                current += "\n" if current else ""
                continue
            if current and len(current) + len(sentence) > max_chars:
                parts.append(current.strip())
                current = ""
            current += sentence
    if current.strip():
        parts.append(current.strip())
    # A short tail reads better joined to the part before it.
    if len(parts) > 1 and len(parts[-1]) < max_chars // 5:
        parts[-2] = parts[-2] + parts.pop()
    return parts


def _make_clause(meta, path, label_tail, text, kind, start, end, children) -> Clause:
    prefix = f"{meta.title} " if meta.title.startswith("《") else f"《{meta.title}》"
    digest = hashlib.sha1(f"{meta.doc_id}\x00{'/'.join(path)}\x00{text}".encode()).hexdigest()[:16]
    return Clause(
        chunk_id=digest,
        doc_id=meta.doc_id,
        doc_title=meta.title,
        section_path=path,
        label=f"{prefix}{label_tail}",
        text=text,
        kind=kind,
        start=start,
        end=end,
        children=children,
        meta=meta,
    )


# --- responsibility notes ---------------------------------------------------------------------


class ResponsibilityNote(NamedTuple):
    """One ``（责任单位：…）`` note: its units in written order, the list as written, the remark."""

    units: list[str]
    units_text: str
    remark: str


def parse_responsibility(text: str) -> list[ResponsibilityNote]:
    """The ``（责任单位：…）`` / ``[责任单位:…]`` notes of a text.

    The remark is what follows the list, such as ``列第一位的为牵头单位，下同``.
    """
    notes = []
    for m in _NOTE_RE.finditer(text):
        opener = text[m.start()]
        closer = {"（": "）", "(": ")", "[": "]", "［": "］", "【": "】"}[opener]
        depth, j = 0, m.start()
        while j < len(text):
            if text[j] == opener:
                depth += 1
            elif text[j] == closer:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = text[m.end(): j]
        units_part, remark = _split_remark(inner)
        notes.append(ResponsibilityNote(_split_units(units_part), units_part, remark))
    return notes


def _split_top_level(text: str, seps: str, maxsplit: int = -1) -> list[str]:
    """Split ``text`` at ``seps`` outside brackets: 各区(市、县)政府 stays one piece."""
    parts, current, depth = [], "", 0
    for ch in text:
        if ch in "（(〔[":
            depth += 1
        elif ch in "）)〕]":
            depth = max(depth - 1, 0)
        if ch in seps and depth == 0 and maxsplit != 0:
            parts.append(current)
            current = ""
            maxsplit -= 1
        else:
            current += ch
    return parts + [current]


def _split_remark(inner: str) -> tuple[str, str]:
    """The unit list of a note and the remark after its first full stop."""
    head, *rest = _split_top_level(inner, "。.", maxsplit=1)
    return head, rest[0] if rest else ""


def _split_units(units: str) -> list[str]:
    out = [u.strip() for u in _split_top_level(units, "、，,；;") if u.strip()]
    # "各市、县〔市、区〕政府" names one group of units, not two.
    merged: list[str] = []
    for unit in out:
        if merged and len(merged[-1]) <= 2:
            merged[-1] = f"{merged[-1]}、{unit}"
        else:
            merged.append(unit)
    return merged


def _lead_units(units: list[str], units_part: str, comma_mode: bool) -> list[str]:
    if not units:
        return []
    if comma_mode:
        before_comma = _split_top_level(units_part, "，,", maxsplit=1)
        if len(before_comma) > 1:
            return _split_units(before_comma[0])
    return units[:1]


def _attach_responsibility(clauses: list[Clause]) -> None:
    """Fill responsible and lead units, following the document's own convention.

    “列第一位的为牵头单位” makes the first unit the lead; “逗号前为牵头单位” makes every unit
    before the first comma a lead. A convention stated once holds for later notes (下同).
    """
    comma_mode = False
    for clause in clauses:
        for note in parse_responsibility(clause.text):
            if "逗号前" in note.remark:
                comma_mode = True
            elif "第一位" in note.remark:
                comma_mode = False
            clause.responsible_units = note.units
            clause.lead_units = _lead_units(note.units, note.units_text, comma_mode)


def window_chunks(doc: PolicyDocument, size: int = 750, overlap: int = 150) -> list[Clause]:
    """Fixed character windows over the cleaned text, the chunking most RAG stacks use.

    Kept as a baseline for the evaluation: it knows nothing of clauses or sections.
    """
    text = doc.text
    step = max(size - overlap, 1)
    clauses = []
    for n, start in enumerate(range(0, max(len(text) - overlap, 1), step)):
        piece = text[start:start + size]
        clauses.append(_make_clause(doc.meta, [f"窗口{n + 1}"], f"窗口{n + 1}", piece, "window",
                                    start, start + len(piece), []))
        clauses[-1].ordinal = n
    return clauses
