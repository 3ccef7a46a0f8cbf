"""Dates as policy documents write them (2024年3月4日, 二〇二四年三月四日, 2025-09-29, a month
alone) and the arithmetic validity needs: the end of a term of years or months, days after a date."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from ..language.text import cn_to_int, nfkc

_Y = r"[0-9０-９]{4}|[〇零一二三四五六七八九]{4}"
_MD = r"[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3}"
#: A date as documents write it (day optional: 自2025年1月起施行), or ISO from a portal.
DATE = rf"(?:(?:{_Y})\s*年\s*(?:{_MD})\s*月(?:\s*(?:{_MD})\s*[日号])?|[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}})"
_DATE_PARTS = re.compile(rf"({_Y})\s*年\s*({_MD})\s*月(?:\s*({_MD})\s*[日号])?|([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}})")


def parse_date(text: str) -> tuple[str, bool] | None:
    """The first date in ``text`` as ``YYYY-MM-DD`` and whether the day was stated (a month
    alone — 自2025年1月起 — is its first day)."""
    m = _DATE_PARTS.search(text)
    if not m:
        return None
    if m.group(4):
        y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
        day_stated = True
    else:
        y = _year(m.group(1))
        mo = cn_to_int(nfkc(m.group(2)))
        d = cn_to_int(nfkc(m.group(3))) if m.group(3) else 1
        day_stated = m.group(3) is not None
    try:
        return dt.date(y, mo or 0, d or 0).isoformat(), day_stated
    except (TypeError, ValueError):
        return None


def _year(raw: str) -> int:
    raw = nfkc(raw)
    if raw.isdigit():
        return int(raw)
    return int("".join(str("〇一二三四五六七八九".index(c) if c != "零" else 0) for c in raw))


def iso(text: str | None) -> str | None:
    """A date written in ``text`` (Chinese or ISO) as ``YYYY-MM-DD``, or None."""
    got = parse_date(text) if text else None
    return got[0] if got else None


def add_term(start: str, n: int, unit: str) -> str:
    """The last day of a term of ``n`` years (``年``) or months (``个月``) from ``start``: the
    day before the same date ``n`` units later (2024-03-04 + 5 years → 2029-03-03, as portals
    date such terms); a date the later month lacks (2月29日) is its next day's eve."""
    d = dt.date.fromisoformat(start)
    months = d.month - 1 + (n * 12 if unit == "年" else n)
    y, m = d.year + months // 12, months % 12 + 1
    if d.day > calendar.monthrange(y, m)[1]:
        return dt.date(y, m, calendar.monthrange(y, m)[1]).isoformat()
    return (dt.date(y, m, d.day) - dt.timedelta(days=1)).isoformat()


def add_days(start: str, n: int) -> str:
    """``start`` plus ``n`` days."""
    return (dt.date.fromisoformat(start) + dt.timedelta(days=n)).isoformat()


def date_cn(date: str) -> str:
    """``2025-12-31`` → ``2025年12月31日``."""
    y, m, d = (int(x) for x in date.split("-"))
    return f"{y}年{m}月{d}日"


def check_date(value: str) -> str:
    """``value`` if it is a ``YYYY-MM-DD`` date, else :class:`ValueError` saying so."""
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except (AttributeError, ValueError):
        raise ValueError(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-07") from None


def end_of(text: str) -> str | None:
    """An end date; a month alone (有效期至2025年12月) ends on its last day."""
    got = parse_date(text)
    if not got:
        return None
    date, day_stated = got
    if day_stated:
        return date
    y, m, _ = (int(x) for x in date.split("-"))
    return dt.date(y, m, calendar.monthrange(y, m)[1]).isoformat()
