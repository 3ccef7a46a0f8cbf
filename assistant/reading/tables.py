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
#: A column label that gives its figures' unit (补贴总额（万元）, 申报响应能力（千瓦时）).
_UNIT_LABEL = re.compile(r"^(?P<name>.+?)\s*[（(](?P<unit>[万亿]?元|万?千瓦时|万?千瓦|[%％]|个|人|户|家|台|套|辆|吨|亩|平方米|项|次)[)）]$")


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
                unit = _UNIT_LABEL.match(label)
                if unit and _is_number(cell):
                    # 补贴总额（万元） over 1.59: the figure is read, quoted and cited as 1.59万元.
                    label, cell = unit.group("name"), f"{cell}{unit.group('unit')}"
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


# --- tables saved as text, one cell a line -------------------------------------------------------

#: The first header cell of a table saved as text one cell a line (a web page's table copied as
#: text): the running-number column.
_FIRST_HEADER = re.compile(r"^(?:序号|编号|序)$")
#: A row that sums the rows above it.
_TOTAL = re.compile(r"^(?:合计|总计|小计|合 计|总 计)$")
#: A header cell broken around an inline piece (2024 / 年拨付资金（万元）) goes on with this.
_CELL_TAIL = "年月日号）)%％"
_MAX_HEADER = 15
_OPEN = "(（[［【"
_CLOSE = ")）]］】"
_MAX_CELL = 40


def _is_number(cell: str) -> bool:
    return bool(_NUMERIC.match(cell)) and any(ch.isdigit() for ch in cell)


def line_tables(lines: list[str]) -> list[tuple[int, int, list[list[str]]]]:
    """The tables in ``lines`` (stripped, non-empty) saved one cell a line: a header that starts
    with a running-number column (序号), then rows each opened by the next running number (1,
    2, 3…) followed by a text cell, and an optional total row (合计). Each as (first line, line
    after the last, grid with the header first); the total row's figures are set under the
    columns of figures, right-aligned, as a total row lays them out."""
    out = []
    i = 0
    while i < len(lines):
        found = _FIRST_HEADER.match(lines[i]) and _line_table(lines, i)
        if found:
            end, grid = found
            out.append((i, end, grid))
            i = end
        else:
            i += 1
    return out


def _row_start(lines: list[str], at: int, n: int) -> bool:
    return (at + 1 < len(lines) and lines[at] == str(n) and not _is_number(lines[at + 1])
            and len(lines[at + 1]) <= _MAX_CELL)


def _line_table(lines: list[str], start: int) -> tuple[int, list[list[str]]] | None:
    header: list[str] = []
    at = start
    while at < len(lines) and not _row_start(lines, at, 1):
        cell = lines[at]
        if header and (cell[0] in _CELL_TAIL or lines[at - 1].isdigit() and len(lines[at - 1]) == 4):
            header[-1] += cell
        else:
            header.append(cell)
        if len(header) > _MAX_HEADER or len(cell) > _MAX_CELL:
            return None
        at += 1
    if at >= len(lines) or len(header) < 3:
        return None
    width = len(header)
    rows: list[list[str]] = []
    n = 1
    while _row_start(lines, at, n):
        cells = [lines[at]]
        at += 1
        while (at < len(lines) and not _row_start(lines, at, n + 1)
               and not _TOTAL.match(lines[at]) and len(lines[at]) <= _MAX_CELL):
            line = lines[at]
            if cells[-1][-1] in _OPEN or line[0] in _CLOSE or line in _OPEN:
                # A name broken around its brackets (中石化 / ( / 天津 / ) / 石油化工有限公司).
                cells[-1] += line
            elif len(cells) == 2 and cells[-1][-1] in _CLOSE and not _is_number(line):
                # The name's rest after its closing bracket (中石化(天津) / 石油化工有限公司).
                cells[-1] += line
            elif len(cells) < width:
                cells.append(line)
            else:
                break
            at += 1
        if len(cells) < width and not _is_number(cells[-1]) and len(cells) > 2:
            # A note (备注) after fewer figures than the header has: it is the last column's.
            cells = cells[:-1] + [""] * (width - len(cells)) + cells[-1:]
        rows.append(cells + [""] * (width - len(cells)))
        n += 1
    if len(rows) < 2:
        return None
    if at < len(lines) and _TOTAL.match(lines[at]):
        figures = []
        at += 1
        while at < len(lines) and _is_number(lines[at]) and len(figures) < width - 1:
            figures.append(lines[at])
            at += 1
        # The columns of figures: those no row writes words in (an empty one included).
        numeric = [c for c in range(1, width) if not any(r[c] and not _is_number(r[c]) for r in rows)]
        total = [""] * width
        total[0] = "合计"
        for col, value in zip(numeric[len(numeric) - len(figures):], figures, strict=False):
            total[col] = value
        rows.append(total)
    return at, [header, *rows]
