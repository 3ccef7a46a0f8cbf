"""A Markdown policy document → text blocks and the details its header states.

Regulations are often kept as Markdown: ``# 标题``, then the adoption history, an
``<!-- INFO END -->`` marker or a YAML front matter block, then ``## 第一章 总则`` and the articles
as paragraphs. ``#`` headings are structure (their numbering, when they have one, is read by the
chunker like any other heading); the header before the marker is metadata, not a clause; tables
become rows (:mod:`assistant.reading.tables`).
"""

from __future__ import annotations

import re

from .tables import PARAGRAPH, render_table

#: Block kind of the lines of a Markdown header (adoption history, front matter).
META = "meta"
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_INFO_END = re.compile(r"<!--\s*INFO\s+END\s*-->", re.I)
_FRONT_KEYS = {"title": "title", "标题": "title", "issuer": "issuer", "发文机关": "issuer",
               "doc_number": "doc_number", "文号": "doc_number", "发文字号": "doc_number",
               "date": "date", "成文日期": "date", "公布日期": "date",
               "有效性": "validity", "validity": "validity", "生效日期": "effective", "施行日期": "effective",
               "实施日期": "effective", "effective_from": "effective", "失效日期": "expires",
               "废止日期": "expires", "effective_until": "expires"}


def read_markdown(text: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Blocks ``(text, kind)`` of a Markdown document and the details its header states."""
    from markdown_it import MarkdownIt

    hints: dict[str, str] = {}
    blocks: list[tuple[str, str]] = []
    m = _FRONT_MATTER.match(text)
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            value = value.strip().strip("\"'")
            if sep and key.strip() in _FRONT_KEYS and value:
                hints[_FRONT_KEYS[key.strip()]] = value
        text = text[m.end():]
    header_end = _INFO_END.search(text)
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    in_header = header_end is not None
    offset_of_marker = text[: header_end.start()].count("\n") if header_end else -1
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] if tok.map else None
        if in_header and line is not None and line >= offset_of_marker:
            in_header = False
        if tok.type == "heading_open":
            content = _inline_text(tokens[i + 1])
            level = int(tok.tag[1])
            if level == 1 and "title" not in hints and not blocks:
                hints["title"] = content
                blocks.append((content, "h1"))
            else:
                blocks.append((content, META if in_header else f"h{level}"))
            i += 3
            continue
        if tok.type == "paragraph_open":
            content = _inline_text(tokens[i + 1])
            for piece in content.split("\n"):
                if piece.strip():
                    blocks.append((piece.strip(), META if in_header else PARAGRAPH))
            i += 3
            continue
        if tok.type == "table_open":
            grid, header_rows, i = _table(tokens, i)
            blocks.extend(render_table(grid, header_rows))
            continue
        if tok.type in ("fence", "code_block") and tok.content.strip():
            blocks.extend((line.strip(), PARAGRAPH) for line in tok.content.splitlines() if line.strip())
        i += 1
    return blocks, hints


def _inline_text(token) -> str:
    """An inline token's text without emphasis markup; hard breaks become new lines."""
    out = []
    for child in token.children or []:
        if child.type == "text" or child.type == "code_inline":
            out.append(child.content)
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "softbreak":
            # A wrapped line: Chinese needs no space, Latin words do.
            prev = out[-1][-1:] if out and out[-1] else ""
            out.append(" " if prev.isascii() and prev.isalnum() else "")
        elif child.type == "html_inline" and child.content.lower().startswith("<br"):
            out.append("\n")
    return "".join(out).strip()


def _table(tokens, i: int) -> tuple[list[list[str]], int, int]:
    grid: list[list[str]] = []
    header_rows = 0
    in_head = False
    row: list[str] | None = None
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            grid.append(row)
            header_rows += 1 if in_head else 0
            row = None
        elif tok.type == "inline" and row is not None:
            row.append(_inline_text(tok))
        elif tok.type == "table_close":
            return grid, header_rows, i + 1
        i += 1
    return grid, header_rows, i
