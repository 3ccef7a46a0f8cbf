"""Support measures: ``GET /api/measures`` (the table, as JSON, CSV or XLSX) and
``POST /api/measures/match`` (the eligibility self-check of a company profile)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..answering import measure_table as mt
from ..answering.eligibility import CompanyProfile
from ..service import Assistant, QuestionError
from .common import get_assistant

router = APIRouter(prefix="/api", tags=["measures"])

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def measure_filters(
    place: str | None = Query(None, description="Only measures of documents of this place, e.g. 成都."),
    doc: list[str] | None = Query(None, description="Only these document ids (repeatable)."),
    kind: str | None = Query(None, description="Only measures whose kind holds this word, e.g. 奖励."),
    q: str | None = Query(None, description="Only measures whose text holds these words (space-separated)."),
    min_yuan: float | None = Query(None, ge=0, description="Only measures granting at least this many yuan."),
    max_yuan: float | None = Query(None, ge=0, description="Only measures granting at most this many yuan."),
    unit: str | None = Query(None, description="Only measures a unit whose name holds this carries out."),
) -> mt.MeasureFilters:
    """The table's filters from the query string."""
    return mt.MeasureFilters(place=place or None, doc_ids=doc or None, kind=kind or None, q=q or None,
                             min_yuan=min_yuan, max_yuan=max_yuan, unit=unit or None)


@router.get("/measures", summary="The support measures of the indexed documents")
def list_measures(filters: mt.MeasureFilters = Depends(measure_filters),
                  format: str = Query("json", pattern="^(json|csv|xlsx)$",
                                      description="json (default), csv or xlsx"),
                  as_of: str | None = Query(None, description="The date statuses are read on, YYYY-MM-DD."),
                  assistant: Assistant = Depends(get_assistant)):
    """Every measure (kind, beneficiary, conditions, amounts, rates, units, period, the span of
    its clause) with its document's status on ``as_of``; those of documents not in force are in
    ``not_current``. ``format=csv`` or ``xlsx`` downloads the same rows as a spreadsheet."""
    try:
        found = assistant.measures(filters, as_of)
    except QuestionError as exc:
        raise HTTPException(422, str(exc)) from None
    if format == "json":
        return found
    stamp = dt.date.today().strftime("%Y%m%d")
    if format == "csv":
        body = mt.to_csv(found["measures"] + found["not_current"]).encode("utf-8")
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="measures-{stamp}.csv"'})
    return Response(mt.to_xlsx(found["measures"], found["not_current"]), media_type=_XLSX,
                    headers={"Content-Disposition": f'attachment; filename="measures-{stamp}.xlsx"'})


class MatchRequest(BaseModel):
    """A company profile and, optionally, the table's filters and the date."""

    profile: CompanyProfile
    place: str | None = Field(None, description="Only measures of documents of this place.")
    kind: str | None = None
    q: str | None = None
    doc_ids: list[str] | None = None
    as_of: str | None = None


@router.post("/measures/match", summary="Which measures a company may meet the conditions of")
def match_measures(body: MatchRequest, assistant: Assistant = Depends(get_assistant)) -> dict:
    """The current measures grouped as 条件可能满足 / 需核实 / 不适用 by what the profile decides
    of their cited conditions; each check names its condition, its result and its clause."""
    filters = mt.MeasureFilters(place=body.place, kind=body.kind, q=body.q, doc_ids=body.doc_ids)
    try:
        return assistant.match_measures(body.profile, filters, body.as_of)
    except QuestionError as exc:
        raise HTTPException(422, str(exc)) from None
