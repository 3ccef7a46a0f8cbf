"""A document's standing on a date as the front ends show it — its status, the date and the
words of its badge, the JSON shape of its validity — and where each evidence span stands among
its clauses."""

from __future__ import annotations

import re

from ..language.lexicon import STATUS_LABELS
from ..types import Clause, Validity
from .dates import date_cn


def locate_evidence(validity: Validity | None, clauses: list[Clause]) -> None:
    """Set the clause of each evidence span: the smallest clause holding its text at its
    offset; a portal's field (no offset) is restated by the document's header clause."""
    if validity is None or not clauses:
        return
    header = next((c for c in clauses if c.kind == "header"), None)
    for ev in validity.evidence:
        if ev.start is None:
            ev.chunk_id = header.chunk_id if header is not None and ev.text in header.text else None
            continue
        holding = [c for c in clauses if c.start <= ev.start < max(c.end, c.start + 1)
                   and _holds(c.text, ev.text)]
        if not holding:
            holding = [c for c in clauses if _holds(c.text, ev.text)]
        if holding:
            ev.chunk_id = min(holding, key=lambda c: (c.kind == "header", c.end - c.start)).chunk_id


def _holds(text: str, span: str) -> bool:
    squash = re.compile(r"\s+")
    return squash.sub("", span) in squash.sub("", text)


def status_on(validity: Validity | None, as_of: str, superseded_on: str | None = None) -> str:
    """The status of a document with ``validity`` on ``as_of`` (``YYYY-MM-DD``); ``unknown``
    when nothing was read. ``superseded_on`` overrides the date the index set for its
    replacement (see :meth:`Validity.status`)."""
    return "unknown" if validity is None else validity.status(as_of, superseded_on)


def status_date(validity: Validity | None, status: str) -> str | None:
    """The date a badge shows with ``status``: since when in force (or until when, when an end
    is stated), until when it was in force, from when it will be, when it was replaced."""
    if validity is None:
        return None
    if status == "in_force":
        return (validity.effective_until or (f"{validity.period[1]}-12-31" if validity.period else None)
                or validity.effective_from)
    if status == "expired":
        return validity.effective_until or (f"{validity.period[1]}-12-31" if validity.period else None)
    if status == "not_yet":
        return validity.effective_from or validity.issued
    if status == "superseded":
        return validity.superseded_on or None
    if status == "draft":
        return validity.issued
    return None


def badge(validity: Validity | None, status: str) -> str:
    """What a badge says: the status in words with its date (现行有效（有效期至2030年7月31日）)."""
    label = STATUS_LABELS[status]
    v = validity
    if v is None:
        return label
    if status == "in_force":
        when = (f"有效期至{date_cn(v.effective_until)}" if v.effective_until else
                f"实施期至{v.period[1]}年" if v.period else
                f"{date_cn(v.effective_from)}起施行" if v.effective_from else "")
    elif status == "expired":
        when = (f"有效期至{date_cn(v.effective_until)}" if v.effective_until else
                f"实施期至{v.period[1]}年" if v.period and not v.stated else "")
    elif status == "not_yet":
        when = f"{date_cn(v.effective_from)}起施行" if v.effective_from else ""
    elif status == "superseded":
        when = f"{date_cn(v.superseded_on)}起" if v.superseded_on else ""
    else:
        when = ""
    return f"{label}（{when}）" if when else label


def public(validity: Validity | None, as_of: str, supersedes: list[dict] | None = None,
           superseded_by: list[dict] | None = None) -> dict:
    """The JSON shape front ends give a document's validity on ``as_of``."""
    v = validity or Validity()
    status = status_on(validity, as_of)
    return {
        "issued": v.issued,
        "effective_from": v.effective_from,
        "effective_until": v.effective_until,
        "status": status,
        "status_date": status_date(validity, status),
        "badge": badge(validity, status),
        "as_of": as_of,
        "first_adopted": v.first_adopted,
        "amendments": v.amendments,
        "rules": dict(v.rules),
        "period": list(v.period) if v.period else None,
        "markers": list(v.markers),
        "evidence": [{"field": e.field, "text": e.text, "chunk_id": e.chunk_id} for e in v.evidence],
        "supersedes": supersedes if supersedes is not None else
        [{"doc_id": None, "title": s, "doc_number": None, "date": None} for s in v.supersedes],
        "superseded_by": superseded_by if superseded_by is not None else [],
    }
