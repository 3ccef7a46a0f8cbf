"""Fields of a support measure read from a document beyond its granting sentence: the
departments that issue it (who carries out a measure when no responsibility note says so) and
the period a measure runs or must be applied for."""

from __future__ import annotations

import re

from ..language.lexicon import BODY_ENDINGS, PERIOD_WORDS, alternation
from ..types import MeasurePeriod

#: A government or its general office issues a document for others to carry out: it is not
#: the department that implements the measures in it.
_GENERAL_OFFICES = re.compile(r"人民政府(?:办公厅|办公室)?$|政府办公厅$|政府办公室$|^国务院")
_BODY_END = alternation(BODY_ENDINGS)
#: Where one department's name ends and the next begins when a header runs them together
#: (海南省农业农村厅海南省财政厅).
_RUN_ON = re.compile(rf"{_BODY_END}(?=[\u4e00-\u9fff]{{1,4}}?[省市县](?!场|委|政府))")
_PERIOD = re.compile(alternation(PERIOD_WORDS) + r"[^，。；]{0,30}")
_DEADLINE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:前|之前|止|截止)|(?:截止|截至|至)\s*(\d{4})年(\d{1,2})月(\d{1,2})日")


def issuing_units(issuer: str | None) -> list[str]:
    """The departments that issue a document, one name each, when they are departments
    that carry out measures (not a government or its general office)."""
    if not issuer:
        return []
    names = [n.strip() for n in re.split(r"[、，,；;\s]+", issuer) if n.strip()]
    out: list[str] = []
    for name in names:
        cuts = [0, *(m.end() for m in _RUN_ON.finditer(name)), len(name)]
        out += [name[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if name[a:b]]
    return [n for n in dict.fromkeys(out) if not _GENERAL_OFFICES.search(n)]


def period_of(text: str) -> MeasurePeriod | None:
    """The period a measure's sentence states (贴息期限不超过两年, 申报时间…), with its last
    day when a date is given as an end (…前, 截止…); None when it states none."""
    m = _PERIOD.search(text)
    d = _DEADLINE.search(text)
    if m is None and d is None:
        return None
    shown = m.group(0) if m is not None else d.group(0)
    until = None
    if d is not None:
        y, mo, day = (d.group(1), d.group(2), d.group(3)) if d.group(1) else (d.group(4), d.group(5), d.group(6))
        until = f"{int(y):04d}-{int(mo):02d}-{int(day):02d}"
        if m is not None and d.group(0) not in shown:
            shown = f"{shown}（{d.group(0)}）"
    return MeasurePeriod(text=shown.strip("，, "), until=until)
