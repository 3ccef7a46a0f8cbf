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

from ..language.text import normalize, split_sentences
from ..types import CHILDREN_PREFIX, Clause, PolicyDocument
from .markdown import META
from .metadata import DATE_RE, DOC_NUMBER_RE, NOTICE_RE, STATUS_RE
from .numbering import ARTICLE_RANK, Marker, Numbering, match_annex
from .parsing import is_special_line
from .responsibility import Convention, parse_responsibility
from .standing import locate_evidence
from .tables import HEADER_ROW, PARAGRAPH, ROW

__all__ = ["body_lines", "chunk_document", "parse_responsibility", "window_chunks"]

#: Labels of the chunks that are not numbered clauses.
NOTICE_LABEL = "印发通知"
HEADER_LABEL = "文件信息"
PREAMBLE_LABEL = "序言"
FOOTER_LABEL = "文尾"

_MAX_TITLE = 60


class _Item(NamedTuple):
    offset: int
    text: str
    kind: str  # a paragraph kind (p, row, thead, meta, …)


@dataclass
class _Node:
    marker: Marker | None
    heading: str  # e.g. "（三）加速创新成果转化应用"
    items: list[_Item] = field(default_factory=list)  # the unit's own paragraphs
    children: list[_Node] = field(default_factory=list)
    rank: int = -1
    kind: str = ""
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
    """Cut a document into clause chunks with section paths, labels and responsibility notes.

    Every sentence of the document's body lands in exactly one chunk; headings also stand in
    the section path, a table's header row is carried into each of its rows.
    """
    meta = doc.meta
    paragraphs = doc.paragraphs
    offsets = []
    pos = 0
    for p in paragraphs:
        offsets.append(pos)
        pos += len(p) + 1

    title_norm = normalize(meta.title)
    notice_end = _notice_end(paragraphs, title_norm)
    markers = _markers(doc, notice_end)
    first_heading = next((i for i, m in enumerate(markers) if m is not None), len(paragraphs))

    header: list[_Item] = []
    notice: list[_Item] = []
    preamble: list[_Item] = []
    footer: list[_Item] = []
    root = _Node(None, "", rank=-99)
    stack = [root]

    for i, p in enumerate(paragraphs):
        kind = doc.kind(i)
        item = _Item(offsets[i], p, kind)
        tabular = kind in (ROW, HEADER_ROW)
        if kind in (META, "h1") and i < first_heading:
            header.append(item)
            continue
        if i < notice_end:
            (header if _is_header_line(p, paragraphs, i) else notice).append(item)
            continue
        if i < first_heading:
            if not tabular and (normalize(p) == title_norm or _is_header_line(p, paragraphs, i)):
                header.append(item)
            else:
                preamble.append(item)
            continue
        m = markers[i]
        if m is None and not tabular and _is_footer_line(p, paragraphs, i):
            footer.append(item)
            continue
        if m is None or (m.rank > ARTICLE_RANK and any(n.kind == "article" for n in stack)):
            # Items (项) and numbered paragraphs inside an article belong to the article.
            stack[-1].items.append(item)
            continue
        title, _ = split_heading(m)
        heading = f"{m.marker}{title}" if title else m.marker
        if m.kind == "annex" and not m.rest and i + 1 < len(paragraphs) \
                and _annex_title(paragraphs[i + 1], markers[i + 1]):
            heading = f"{m.marker} {paragraphs[i + 1]}"
        node = _Node(m, heading, rank=m.rank, kind=m.kind, start=offsets[i], line=p)
        while stack[-1].rank >= m.rank:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)

    clauses: list[Clause] = []

    def add(path: list[str], label_tail: str, items: list[_Item], kind: str,
            children: list[str] | None = None) -> None:
        body_items, tables = _split_tables(items)
        _emit(clauses, meta, path, label_tail, body_items, kind, children or [], max_chars)
        for t, rows in enumerate(tables, start=1):
            for r, row in enumerate(rows, start=1):
                cell = f"表{t}第{r}行" if len(tables) > 1 else f"第{r}行"
                _emit(clauses, meta, path + [cell], f"{label_tail} {cell}".strip(), [row], "row",
                      [], max_chars)

    add([NOTICE_LABEL], NOTICE_LABEL, notice, "notice")
    # All of a document's own details (文号, dates, signature, 抄送, 印发) in one chunk.
    header_items = header + footer
    summary = meta_summary(meta)
    if summary:
        at = header_items[-1].offset if header_items else 0
        header_items = header_items + [_Item(at, summary, "summary")]
    add([HEADER_LABEL], HEADER_LABEL, header_items, "header")
    add([PREAMBLE_LABEL], PREAMBLE_LABEL, preamble, "preamble")

    def walk(node: _Node, path: list[str]) -> None:
        for child in node.children:
            child_path = path + [child.heading]
            items = [_Item(child.start, child.line, PARAGRAPH)] + child.items
            child_titles = [c.heading for c in child.children]
            # Every numbered unit is citable, even one whose line is all heading.
            add(child_path, " ".join(child_path), items, "section" if child_titles else "clause",
                child_titles)
            walk(child, child_path)

    walk(root, [])
    if root.items:  # text after the last heading that belongs to no clause
        add([FOOTER_LABEL], FOOTER_LABEL, root.items, "footer")

    _attach_responsibility(clauses)
    _unique_ids(clauses)
    for n, clause in enumerate(clauses):
        clause.ordinal = n
    locate_evidence(meta.validity, clauses)
    return clauses


def _markers(doc: PolicyDocument, notice_end: int) -> list[Marker | None]:
    """The heading marker of each paragraph, or None for body text.

    Numbering (一、 （一） 1. 第X条 …) is read from the text; headings the file marked itself
    (Markdown ``#``, HTML ``<h2>``) count even without a number, at the rank that numbered
    headings of the same level have in this document. A table row is never a heading.
    """
    numbering = Numbering()
    level_rank: dict[int, int] = {}
    out: list[Marker | None] = []
    contents = _table_of_contents(doc.paragraphs)
    for i, p in enumerate(doc.paragraphs):
        kind = doc.kind(i)
        if i < notice_end or i in contents or kind in (ROW, HEADER_ROW, META, "h1"):
            out.append(None)
            continue
        m = match_annex(p)
        if m is not None:
            numbering = Numbering()  # an annex numbers its parts afresh
        else:
            m = numbering.accept(p)
        if kind.startswith("h") and kind[1:].isdigit():
            level = int(kind[1:])
            if m is not None:
                level_rank.setdefault(level, m.rank)
            else:
                rank = level_rank.get(level, min(level - 1, ARTICLE_RANK - 1))
                m = Marker(kind, rank, None, p, "")
        out.append(m)
    return out


def _table_of_contents(paragraphs: list[str]) -> set[int]:
    """Lines of a table of contents (目录): short lines that stand again later as headings.

    They are text, not headings; otherwise every section would appear twice, once empty.
    """
    found: set[int] = set()
    for i, p in enumerate(paragraphs):
        if normalize(p) != "目录":
            continue
        rest = [normalize(q) for q in paragraphs[i + 1:]]
        first = None
        for j, q in enumerate(paragraphs[i + 1:], start=i + 1):
            n = normalize(q)
            if n == first or len(q) > 40 or re.search(r"[。；]", q) or rest.count(n) < 2:
                break  # the body starts (its first heading again) or the lines are text
            first = first or n
            found.add(j)
    return found


def _annex_title(p: str, marker: Marker | None) -> bool:
    return marker is None and len(p) <= 60 and not re.search(r"[。；：:]", p)


def _split_tables(items: list[_Item]) -> tuple[list[_Item], list[list[_Item]]]:
    """A unit's own text, and each table that has a header row as its list of data rows.

    Rows of a table with a header (``序号｜重点任务｜牵头单位``) are chunks of their own, so
    that a row — one task with its units — is cited by itself; its header is already carried
    into its text. Rows of a table without a header stay in the unit's text.
    """
    body: list[_Item] = []
    tables: list[list[_Item]] = []
    in_table = False
    for item in items:
        if item.kind == HEADER_ROW:
            tables.append([])
            in_table = True
        elif item.kind == ROW and in_table:
            tables[-1].append(item)
        else:
            in_table = False
            body.append(item)
    return body, [t for t in tables if t]


def _emit(clauses: list[Clause], meta, path: list[str], label_tail: str, items: list[_Item],
          kind: str, children: list[str], max_chars: int) -> None:
    if not items and not children:
        return
    body = "\n".join(item.text for item in items)
    start = items[0].offset if items else 0
    end = items[-1].offset + len(items[-1].text) if items else start
    parts = _split_long(body, max_chars)
    if children:  # the list of children points at other clauses: never cut, always last
        pointer = CHILDREN_PREFIX + "；".join(children)
        parts[-1] = f"{parts[-1]}\n{pointer}" if parts[-1] else pointer
    at = 0
    for n, part in enumerate(parts):
        tail = label_tail if len(parts) == 1 else f"{label_tail}（第{n + 1}部分）"
        text = part.strip("\n")
        lead = len(part) - len(part.lstrip("\n"))
        part_start = min(start + at + lead, end)
        part_end = min(part_start + len(text), end) if len(parts) > 1 else end
        at += len(part)
        clauses.append(_make_clause(meta, path, tail, text, kind, part_start, part_end, children))


def meta_summary(meta) -> str:
    """One line restating what the header says, in the words people ask with."""
    status = {"draft": "草案，尚未正式印发", "final": "正式印发", "unknown": "未载明"}.get(
        meta.status, meta.status)
    parts = []
    if meta.issuer:
        parts.append(f"发文机关：{meta.issuer}")
    if meta.doc_number:
        parts.append(f"文号：{meta.doc_number}")
    if meta.date:
        parts.append(f"成文日期：{meta.date_cn()}")
    parts.append(f"状态：{status}")
    # A portal's validity fields (实施日期, 失效日期, 有效性) are not in the text: the header
    # restates them, so that an answer can cite them.
    if meta.validity is not None:
        parts += [e.text for e in meta.validity.evidence
                  if e.start is None and e.field in ("effective_from", "effective_until", "status")]
    return "；".join(parts)


def body_lines(clause: Clause) -> list[str]:
    """The lines of a clause that come from the document (not the generated ones).

    A parent's list of its children (``下设：…``) points at other clauses, and the header's
    summary line restates the metadata; neither is document text.
    """
    summary = meta_summary(clause.meta) if clause.meta and clause.kind == "header" else None
    return [line for line in clause.text.split("\n")
            if line and not line.startswith(CHILDREN_PREFIX) and line != summary]


def _split_long(text: str, max_chars: int) -> list[str]:
    """Split an oversized clause into consecutive parts of at most about ``max_chars``.

    Cuts fall at sentence ends (or line ends); a sentence longer than the limit is cut at the
    limit. The parts are exact slices: joined, they give back ``text``.
    """
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    for line in text.split("\n"):
        sentences = split_sentences(line)
        if "".join(sentences) != line:  # keep every character, whatever the splitter saw
            sentences = [line]
        for sentence in sentences:
            pieces.extend(sentence[i:i + max_chars] for i in range(0, len(sentence), max_chars))
        pieces.append("\n")
    pieces.pop()  # no newline after the last line
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current.strip() and len(current) + len(piece) > max_chars and piece != "\n":
            parts.append(current)
            current = ""
        current += piece
    if current:
        parts.append(current)
    # A short tail reads better joined to the part before it.
    if len(parts) > 1 and len(parts[-1].strip()) < max_chars // 5:
        tail = parts.pop()
        parts[-1] += tail
    return parts


def _unique_ids(clauses: list[Clause]) -> None:
    """Two identical clauses (same path and text) still get distinct ids."""
    seen: dict[str, int] = {}
    for clause in clauses:
        n = seen.get(clause.chunk_id, 0)
        seen[clause.chunk_id] = n + 1
        if n:
            clause.chunk_id = hashlib.sha1(f"{clause.chunk_id}#{n}".encode()).hexdigest()[:16]


def _attach_responsibility(clauses: list[Clause]) -> None:
    """Fill responsible and lead units, following the document's own convention (下同)."""
    convention = Convention()
    for clause in clauses:
        found = convention.read(clause.text)
        if found:
            clause.responsible_units, clause.lead_units = found


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
    locate_evidence(doc.meta.validity, clauses)
    return clauses
