"""The support-measure table: the measures of the index, filtered, in the one JSON shape every
front end shows, with their document's status on a date, and exported as CSV or XLSX.

A measure's fields come from :mod:`assistant.reading.measures`; here each gets its document's
title, place, level and status on ``as_of`` (``document_status``), and the measures of
documents that are not in force (expired, replaced, drafts) are kept apart from the others.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..language.lexicon import STATUS_LABELS
from ..language.places import place_stem
from ..language.text import normalize
from ..types import Measure

#: Statuses whose measures are shown apart: the document no longer applies, never did, or is
#: only proposed.
NOT_CURRENT = ("expired", "superseded", "draft")
#: Shown for a field the text does not give.
NOT_STATED = "文件未载明"
#: Columns of the CSV and XLSX exports, in order, with their headings.
COLUMNS = (("title", "文件"), ("place", "地区"), ("document_status", "文件状态"), ("label", "条款"),
           ("kind", "措施类型"), ("beneficiary", "支持对象"), ("conditions", "条件"), ("amounts", "金额"),
           ("top_yuan", "最高金额（元）"), ("rates", "比例"), ("units", "责任单位"), ("period", "期限"),
           ("span", "原文"), ("id", "编号"), ("doc_id", "文件编号"), ("chunk_id", "条款编号"))


@dataclass
class MeasureFilters:
    """What a table asks for: a place, documents, a kind, words, an amount range, a unit."""

    place: str | None = None
    doc_ids: list[str] | None = None
    kind: str | None = None
    q: str | None = None
    min_yuan: float | None = None
    max_yuan: float | None = None
    unit: str | None = None


def public(measure: Measure, view, as_of: str) -> dict:
    """The JSON shape of a measure: its fields with its document's title, place, level and
    status on ``as_of``."""
    clause = view.by_id.get(measure.chunk_id)
    meta = clause.meta if clause is not None else None
    status = meta.status_on(as_of) if meta is not None else "unknown"
    out = {"id": measure.id, "doc_id": measure.doc_id,
           "title": meta.title if meta else (clause.doc_title if clause else ""),
           "place": meta.region if meta else None, "level": meta.level if meta else None}
    out.update(measure.model_dump(exclude={"id", "doc_id"}))
    out["top_yuan"] = measure.top_yuan()
    out["document_status"] = status
    out["status_label"] = view.versions.public(measure.doc_id, as_of)["badge"] \
        if meta is not None and meta.validity is not None else STATUS_LABELS[status]
    return out


def of_place(view, doc_id: str, place: str) -> bool:
    """Whether a document is of ``place`` (its title, region, issuer or preamble names it)."""
    ident = view.identities.get(doc_id)
    stem = normalize(place_stem(place.strip()))
    return bool(ident and stem and stem in ident[1])


def select(view, filters: MeasureFilters) -> list[Measure]:
    """The measures of the index that pass ``filters``, in document order."""
    out = []
    words = [normalize(w) for w in (filters.q or "").split() if normalize(w)]
    for m in view.measures:
        if filters.doc_ids and m.doc_id not in filters.doc_ids:
            continue
        if filters.place and not of_place(view, m.doc_id, filters.place):
            continue
        if filters.kind and normalize(filters.kind) not in normalize(m.kind):
            continue
        if filters.unit and not any(normalize(filters.unit) in normalize(u) for u in m.units):
            continue
        top = m.top_yuan()
        if filters.min_yuan is not None and (top is None or top < filters.min_yuan):
            continue
        if filters.max_yuan is not None and (top is None or top > filters.max_yuan):
            continue
        if words:
            clause = view.by_id.get(m.chunk_id)
            hay = normalize(" ".join([m.span.text, m.kind, m.beneficiary or "", " ".join(m.section_path),
                                      clause.doc_title if clause else ""]))
            if not all(w in hay for w in words):
                continue
        out.append(m)
    return out


def table(view, filters: MeasureFilters, as_of: str) -> dict:
    """The measures that pass ``filters`` on ``as_of``: those of documents in force (or of
    unknown or future standing) in ``measures``, the others in ``not_current``."""
    rows = [public(m, view, as_of) for m in select(view, filters)]
    current = [r for r in rows if r["document_status"] not in NOT_CURRENT]
    apart = [r for r in rows if r["document_status"] in NOT_CURRENT]
    return {"as_of": as_of, "count": len(current), "measures": current,
            "not_current_count": len(apart), "not_current": apart}


# --- exports -------------------------------------------------------------------------------------


def cells(row: dict) -> list[str | float | None]:
    """One measure as the cells of a spreadsheet row (a field the text does not give reads
    文件未载明)."""
    out: list[str | float | None] = []
    for key, _ in COLUMNS:
        value = row.get(key)
        if key == "conditions":
            value = "；".join(value or [])
        elif key == "amounts":
            value = "；".join(a["text"] + (f"（{a['basis']}）" if a.get("basis") else "") for a in value or [])
        elif key == "rates":
            value = "；".join(r["text"] + (f"（{r['basis']}）" if r.get("basis") else "") for r in value or [])
        elif key == "units":
            value = "、".join(value or [])
        elif key == "period":
            value = value["text"] if value else None
        elif key == "span":
            value = value["text"]
        elif key == "document_status":
            value = row.get("status_label") or value
        if value in (None, "") and key in ("beneficiary", "conditions", "amounts", "rates", "units", "period"):
            value = NOT_STATED
        out.append(value)
    return out


def to_csv(rows: list[dict]) -> str:
    """The rows as CSV text (UTF-8 with a byte-order mark, so spreadsheet programs read the
    Chinese as written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([heading for _, heading in COLUMNS])
    for row in rows:
        writer.writerow(["" if c is None else c for c in cells(row)])
    return "\ufeff" + buffer.getvalue()


def to_xlsx(rows: list[dict], apart: list[dict] | None = None) -> bytes:
    """The rows as an XLSX workbook (a second sheet holds the measures of documents not in
    force, when there are any)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [("扶持措施", rows)] + ([("已失效或未生效", apart)] if apart else [])
    for i, (name, data) in enumerate(sheets):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = name
        sheet.append([heading for _, heading in COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in data:
            sheet.append(cells(row))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
