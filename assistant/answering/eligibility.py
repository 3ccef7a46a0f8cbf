"""The eligibility self-check: a company's profile read against each measure's cited
conditions, the measures grouped as 条件可能满足 / 需核实 / 不适用.

Pure functions over measures (their public JSON shape) and a :class:`CompanyProfile`. A
condition is read into a typed check only where its text is clear — the document's place, a
revenue or R&D threshold (年营收超过1亿元, 研发投入占比不低于5%), a certification (高新技术企业,
专精特新), how long ago the company was founded (成立不满5年) — and a check the profile does
not decide (a condition without a typed reading, a figure the profile leaves blank, 首次认定)
is 需核实, never “not matched”. No score: a measure is 不适用 when one check fails, 需核实 when
one cannot be decided, else 条件可能满足; each check names the condition it read and cites
the measure's clause.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field

from ..language.lexicon import CERTIFICATIONS
from ..language.places import place_relation
from ..language.quantities import Quantity, money_figures, ranges, rate_figures
from ..language.text import normalize

MET, UNKNOWN, NOT_MET = "met", "unknown", "not_met"
#: The groups, in the order they are shown.
GROUPS = (("likely", "条件可能满足"), ("check", "需核实"), ("not_applicable", "不适用"))
_REVENUE = re.compile(r"营业收入|营收|销售收入|销售额|主营业务收入|年收入")
_RD = re.compile(r"研发投入|研发费用|研发经费|研究开发费用")
_RATIO = re.compile(r"占[^，。；]{0,12}(?:比例|比重)|强度")
_FOUNDED = re.compile(r"(?:成立|注册|设立)(?:时间)?(?:不满|未满|不超过|不足|在)?\s*(\d+|[一二三四五六七八九十])\s*年(?:以内|内)?")
_FIRST = re.compile(r"首次|新认定|新获|新评|新入选|新纳入")
_SMALL = re.compile(r"中小企业|小微企业|中小微企业")
_GENERIC_HEAD = re.compile(r"(?:各类|各类型|相关)?(?:企业|市场主体|经营主体)")


class CompanyProfile(BaseModel):
    """What a company says about itself for the self-check (every field optional)."""

    place: str | None = Field(None, description="where it is registered, e.g. 成都 or 成都市高新区")
    industries: list[str] = Field(default_factory=list, description="industry keywords, e.g. 人工智能")
    size: str | None = Field(None, description="微型, 小型, 中型 or 大型")
    revenue_yuan: float | None = Field(None, description="last year's revenue in yuan")
    rd_spend_yuan: float | None = Field(None, description="last year's R&D spending in yuan")
    rd_ratio: float | None = Field(None, description="R&D spending as a share of revenue, 0.06 for 6%")
    certifications: list[str] = Field(default_factory=list, description="e.g. 高新技术企业, 专精特新")
    founded: str | None = Field(None, description="founding date, YYYY-MM-DD")


def _check(condition: str, result: str, reason: str, measure: dict) -> dict:
    return {"condition": condition, "result": result, "reason": reason,
            "cite": {"chunk_id": measure["chunk_id"], "label": measure["label"], "span": measure["span"]}}


def place_check(measure: dict, profile: CompanyProfile, of_place) -> dict | None:
    """Whether the measure's document applies where the company is."""
    if not profile.place:
        return None
    shown = f"适用地区：{measure.get('place') or measure['title']}"
    if measure.get("level") == "national":
        return _check(shown, MET, "国家级文件，全国适用", measure)
    if of_place(measure["doc_id"], profile.place):
        return _check(shown, MET, f"文件适用于{profile.place}", measure)
    relation = place_relation(profile.place, measure.get("place") or "")
    if relation == "within":
        return _check(shown, MET, f"{profile.place}属于{measure['place']}", measure)
    if relation == "apart":
        return _check(shown, NOT_MET, f"{profile.place}不在{measure['place']}", measure)
    return _check(shown, UNKNOWN, f"无法判断{profile.place}是否属于文件适用地区", measure)


def condition_checks(measure: dict, profile: CompanyProfile, as_of: str) -> list[dict]:
    """A check for each condition the measure states (and for its beneficiary)."""
    texts = list(measure.get("conditions") or [])
    beneficiary = measure.get("beneficiary") or ""
    out = []
    for text in texts:
        out.append(_condition(text, measure, profile, as_of))
    certs = [c for c in CERTIFICATIONS if c in beneficiary and not any(c in t for t in texts)]
    for cert in certs:
        out.append(_certification(cert, beneficiary, measure, profile))
    covered = "的" in beneficiary and beneficiary.rsplit("的", 1)[0] in " ".join(texts)
    if beneficiary and not certs and not covered and not _GENERIC_HEAD.fullmatch(beneficiary) \
            and not _SMALL.search(beneficiary):
        out.append(_check(f"支持对象：{beneficiary}", UNKNOWN, "请核实企业是否属于该支持对象", measure))
    elif _SMALL.search(beneficiary):
        out.append(_size(beneficiary, measure, profile))
    return out


def _condition(text: str, measure: dict, profile: CompanyProfile, as_of: str) -> dict:
    cert = next((c for c in CERTIFICATIONS if c in text), None)
    if cert:
        return _certification(cert, text, measure, profile)
    founded = _FOUNDED.search(text)
    if founded and profile.founded:
        years = _years(founded.group(1))
        age = _age(profile.founded, as_of)
        if years is not None and age is not None:
            ok = age < years
            return _check(text, MET if ok else NOT_MET, f"企业成立{age:.1f}年", measure)
    if _RD.search(text) and _RATIO.search(text):
        return _threshold(text, profile.rd_ratio, [r.value for r in rate_figures(text)], "研发投入占比", measure, ratio=True)
    if _RD.search(text):
        return _threshold(text, profile.rd_spend_yuan, [f.value for f in money_figures(text)], "研发投入", measure)
    if _REVENUE.search(text):
        return _threshold(text, profile.revenue_yuan, [f.value for f in money_figures(text)], "营业收入", measure)
    return _check(text, UNKNOWN, "该条件需对照企业实际情况核实", measure)


def _certification(cert: str, text: str, measure: dict, profile: CompanyProfile) -> dict:
    held = any(cert in c or c in cert for c in profile.certifications)
    if not held:
        return _check(text, NOT_MET, f"企业未填写“{cert}”资质", measure)
    if _FIRST.search(text):
        return _check(text, UNKNOWN, f"企业具有“{cert}”资质；是否首次或新近认定需核实", measure)
    return _check(text, MET, f"企业具有“{cert}”资质", measure)


def _size(text: str, measure: dict, profile: CompanyProfile) -> dict:
    if not profile.size:
        return _check(f"支持对象：{text}", UNKNOWN, "企业未填写规模", measure)
    small = profile.size in ("微型", "小型", "中型")
    if "小微" in text and profile.size == "中型":
        small = False
    return _check(f"支持对象：{text}", MET if small else NOT_MET, f"企业规模为{profile.size}", measure)


def _threshold(text: str, value: float | None, figures: list[float | None], what: str, measure: dict,
               ratio: bool = False) -> dict:
    """A money or rate threshold of the condition against the profile's value."""
    if value is None:
        return _check(text, UNKNOWN, f"企业未填写{what}", measure)
    shown = f"{value * 100:g}%" if ratio else f"{value / 10_000:g}万元"
    tiers = [r for r in ranges(text) if r.unit == "money"] if not ratio else []
    if tiers:  # 5000万元（含）至1亿元（不含）
        inside = any(r.holds(Quantity(value, "money")) for r in tiers)
        return _check(text, MET if inside else NOT_MET, f"企业{what}{shown}", measure)
    limit = next((f for f in figures if f is not None), None)
    if limit is None:
        return _check(text, UNKNOWN, f"无法读出{what}门槛", measure)
    below = re.search(r"不超过|(?<!不)低于|以下|不足|(?<!不)少于|未达到", text)
    ok = value <= limit if below else value >= limit
    return _check(text, MET if ok else NOT_MET, f"企业{what}{shown}", measure)


def _years(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return "一二三四五六七八九十".index(text) + 1 if text in "一二三四五六七八九十" else None


def _age(founded: str, as_of: str) -> float | None:
    try:
        start, end = dt.date.fromisoformat(founded), dt.date.fromisoformat(as_of)
    except ValueError:
        return None
    return (end - start).days / 365.25


def industry_match(measure: dict, profile: CompanyProfile) -> list[str]:
    """The profile's industry keywords the measure's clause or document names."""
    hay = normalize(" ".join([measure["span"]["text"], measure.get("beneficiary") or "", measure["title"],
                              " ".join(measure["section_path"])]))
    return [k for k in profile.industries if normalize(k) and normalize(k) in hay]


def match(measures: list[dict], profile: CompanyProfile, as_of: str, of_place) -> dict:
    """The measures grouped by what the profile decides of their conditions; within a group,
    those naming the company's industry first, then the largest amounts."""
    groups: dict[str, list[dict]] = {key: [] for key, _ in GROUPS}
    for m in measures:
        checks = [c for c in [place_check(m, profile, of_place)] if c] + condition_checks(m, profile, as_of)
        results = {c["result"] for c in checks}
        key = "not_applicable" if NOT_MET in results else "check" if UNKNOWN in results else "likely"
        groups[key].append({**m, "checks": checks, "industry_match": industry_match(m, profile)})
    for key in groups:
        groups[key].sort(key=lambda m: (not m["industry_match"], -(m.get("top_yuan") or 0)))
    return {"as_of": as_of, "profile": profile.model_dump(),
            "groups": [{"key": key, "label": label, "count": len(groups[key]), "measures": groups[key]}
                       for key, label in GROUPS]}
