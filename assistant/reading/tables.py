"""Tables from web pages, Word files and Markdown as text blocks the chunker understands.

A table becomes one line a row, cells separated by ``｜``. When the table has a header row,
every data row carries it (``序号：1｜重点任务：…｜牵头单位：市发改委``), so that a row read on its own
(a clause, a citation) still says what each cell means. The header row itself is kept as a
``thead`` block; the chunker treats rows as body text that can never be a heading.
"""

from __future__ import annotations

import re

#: Separator between the cells of a rendered row.
CELL_SEP = "｜"
#: Block kinds of a document's paragraphs (``PolicyDocument.kinds``).
PARAGRAPH, HEADER_ROW, ROW = "p", "thead", "row"

_NUMERIC = re.compile(r"^[\d０-９.,，%％\s\-—~～、]*$")


def clean_cell(text: str) -> str:
    """A cell's text on one line, with runs of white space collapsed."""
    text = re.sub(r"[ \t\u00a0\u3000]+", " ", text.replace("\r", "\n"))
    lines = [line.strip() for line in text.split("\n")]
    return "".join(line for line in lines if line).strip()


def looks_like_header(cells: list[str]) -> bool:
    """A first row whose cells are short labels (序号, 重点任务, 牵头单位), not data."""
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return False
    return all(len(c) <= 12 and not _NUMERIC.match(c) and not re.search(r"[。；]", c)
               for c in filled)


def render_table(grid: list[list[str]], header_rows: int | None = None) -> list[tuple[str, str]]:
    """Rows of cells → ``(text, kind)`` blocks: an optional header row, then one block a row.

    ``header_rows`` says how many leading rows are headers (from ``<th>`` or a Markdown
    delimiter row); None guesses from the first row. Several header rows are merged column by
    column (``一级指标/二级指标``). Empty rows and repeated cells of a merged cell are dropped.
    """
    rows = [[clean_cell(c) for c in row] for row in grid]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    if header_rows is None:
        header_rows = 1 if len(rows) >= 2 and looks_like_header(rows[0]) else 0
    header_rows = min(header_rows, len(rows) - 1) if len(rows) > 1 else 0
    header: list[str] = []
    if header_rows:
        for col in range(width):
            parts: list[str] = []
            for row in rows[:header_rows]:
                if row[col] and row[col] not in parts:
                    parts.append(row[col])
            header.append("/".join(parts))
    blocks: list[tuple[str, str]] = []
    if header and any(header):
        blocks.append((CELL_SEP.join(h for h in header if h), HEADER_ROW))
    for row in rows[header_rows:]:
        cells = _distinct_cells(row)
        if header and any(header):
            pieces = []
            for col, cell in cells:
                label = header[col]
                pieces.append(f"{label}：{cell}" if label and label != cell else cell)
            text = CELL_SEP.join(pieces)
        else:
            text = CELL_SEP.join(cell for _, cell in cells)
        if text:
            blocks.append((text, ROW))
    return blocks


def _distinct_cells(row: list[str]) -> list[tuple[int, str]]:
    # A cell spanning several columns is repeated in the grid; it is said once.
    out: list[tuple[int, str]] = []
    for col, cell in enumerate(row):
        if cell and not (out and out[-1][1] == cell):
            out.append((col, cell))
    return out


def header_of(text: str) -> list[str]:
    """The column labels of a rendered header row."""
    return [c for c in text.split(CELL_SEP) if c]


def row_cells(text: str) -> dict[str, str]:
    """A rendered data row as {label: value} (cells without a label are left out)."""
    out: dict[str, str] = {}
    for cell in text.split(CELL_SEP):
        label, sep, value = cell.partition("：")
        if sep and label and len(label) <= 12:
            out[label] = value
    return out
