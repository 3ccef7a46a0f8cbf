"""A document's validity — issued, in force from, in force until, a draft or on trial, what it
repeals — read from its text and its portal's info fields; and its status on a date.

The forms read, each kept with the span that states it:

- ``自印发（发布、公布）之日起施行``: from the issue date (the publication date for 发布/公布 when
  the page states one); ``自公布之日起30日后施行`` adds the days;
- ``自2023年3月1日起施行``, ``本办法自2019年2月1日实施``;
- ``有效期至2025年12月31日`` (截至, 调整至, 延长至…), ``有效期为2024年1月1日至2026年12月31日``;
- ``有效期3年`` (五年, 6个月): until the day before the same date N years after the start
  (2024-03-04 + 5 years → 2029-03-03, as portals date it), the rule kept with the date;
- ``试行`` and ``暂行`` in the title, ``征求意见稿`` / ``草案`` / ``送审稿`` (a draft), and a plan
  period in the title (``行动计划（2023—2025年）``), which stands in for a term nothing states;
- ``原《…》（文号）同时废止``: the documents it repeals, as named;
- a portal's ``有效性`` / ``生效日期`` (实施日期) / ``失效日期`` (废止日期), in its info table or list
  or as label lines of a saved page's text: they win over the text;
- a regulation's adoption history (``…通过``, ``…第二次修正``): dated by its latest amendment,
  with its first adoption kept.

Only sentences about the document itself count (``本办法…``, a sentence that opens with the
form, an order's ``现予公布，自…起施行``): ``电子居住证有效期为一年`` is about a card.
Nothing stated is ``unknown``, never in force by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..language.lexicon import (
    DRAFT_STAGES,
    EFFECT_VERBS,
    ISSUE_EVENTS,
    REPEAL_WORDS,
    SELF_KINDS,
    STATED_VALIDITY,
    TRIAL_MARKERS,
    VALIDITY_LABELS,
    alternation,
)
from ..language.text import CN_NUM, cn_to_int, nfkc
from ..types import DocumentMeta, Validity, ValidityEvidence
from .dates import DATE, add_days, add_term, date_cn, end_of, iso, parse_date
from .metadata import printing_date, signature_date

_EFFECT = alternation(EFFECT_VERBS)
_SELF = alternation(SELF_KINDS)
_NUM = rf"[0-9０-９]+|[{CN_NUM}]+"
#: The end of the clause a start form closes: 起施行。 / 起施行，有效期… / 起施行）.
_CLAUSE_END = r"(?=\s*(?:$|[，,。；;）)]))"

_START_EVENT = re.compile(
    rf"自\s*(?P<event>{alternation(ISSUE_EVENTS)})\s*之日起\s*"
    rf"(?:(?P<n>{_NUM})\s*(?:日|天|个工作日)后\s*)?{_EFFECT}{_CLAUSE_END}")
_START_DATE = re.compile(
    rf"(?:(?:自|从|于)\s*(?P<date>{DATE})\s*(?:起|开始)?|(?P<date2>{DATE})\s*起)\s*"
    rf"(?:至\s*(?P<until>{DATE})\s*止?\s*)?{_EFFECT}{_CLAUSE_END}")
_UNTIL = re.compile(
    rf"(?:有效期(?:限)?|执行期(?:限)?|实施期(?:限)?|施行期(?:限)?)(?:为|是|：|:)?\s*"
    rf"(?:(?:自|从)?(?P<from>{DATE})\s*(?:起)?\s*(?:至|到|—|－|-|～|~)|"
    rf"(?:至|到|截至|截止(?:到|至)?|延长至|调整至|延续至|顺延至))\s*(?P<until>{DATE})")
_TERM = re.compile(
    rf"(?:有效期(?:限)?|试行期(?:限)?)(?:为|是|：|:)?\s*(?P<n>{_NUM})\s*(?P<unit>年|个月)(?![内以])")
#: What may open the clause of a form about the document: 本办法, 本实施细则的, 以上政策.
_SELF_PREFIX = re.compile(rf"^(?:(?:本|该|此)[\u4e00-\u9fff]{{0,8}}?{_SELF}(?:的)?|(?:以上|上述)[\u4e00-\u9fff]{{0,6}})?\s*$")
#: A clause before the form that speaks of the document: 本办法由…解释, 现予公布, 重新发布,
#: 政策措施从2025年1月1日起算.
_SELF_CLAUSE = re.compile(
    rf"^\s*(?:本|该|此)[\u4e00-\u9fff]{{0,8}}?{_SELF}|现予?(?:公布|发布|印发)|重新(?:发布|印发)|"
    rf"^\s*[\u4e00-\u9fff]{{0,6}}?{_SELF}[^，,]{{0,30}}(?:起算|{_EFFECT})")
_LEADING_MARKER = re.compile(
    rf"^\s*(?:第[{CN_NUM}\d]+条|[{CN_NUM}]+、|[（(][{CN_NUM}\d]+[）)]|[0-9０-９]+(?:[.．][0-9０-９]+)*[.．、]?)\s*")
_SENTENCE = re.compile(r"[^。；;！？!?]+[。；;！？!?]?")
_REPEAL = re.compile(alternation(REPEAL_WORDS))
#: A name in 《》 (nested 〈〉 kept) with the 文号 that may follow it.
_NAMED = re.compile(r"《((?:[^《》]|〈[^〉]*〉)+)》\s*(?:[（(]([^（）()]{0,30}?〔?\d{4}〕?[^（）()]{0,12}?号)[）)])?")
_DRAFT_TITLE = re.compile(alternation((*DRAFT_STAGES, "草案")) + "|起草说明$")
_STATUS_LINE = re.compile(r"^[（(]([^（()）]{0,10})[）)]$")
_PERIOD = re.compile(r"(?<![0-9])((?:19|20)\d{2})\s*年?\s*[-—–－~～至到]\s*((?:19|20)\d{2})\s*年(?!度)")
#: A line of a regulation's adoption history: a date, a body, and what it did.
_HISTORY_ACT = re.compile(rf"({DATE})(?:(?!{DATE}).){{0,160}}?(通过|批准|发布|公布|第[{CN_NUM}]+次修正|第[{CN_NUM}]+次修订|修正|修订|修改)")
_HISTORY_LINE = re.compile(r"人民代表大会|国务院令|[^，。]{0,12}令第|常务会议|关于修改")
#: The info labels a saved page's text may carry (成文日期：2025-09-29, 有效性：有效).
_TEXT_LABELS = {**VALIDITY_LABELS, "成文日期": "date", "发文日期": "date", "印发日期": "date", "发布日期": "published"}
_TEXT_LABEL = re.compile(alternation(_TEXT_LABELS) + r"\s*[：:]")
_DATE_RE = re.compile(DATE)
_OPENS_WITH_DATE = re.compile(rf"\s*[（(]?\s*{DATE}")
#: A paragraph that may say when the document applies (the rest are not read sentence by sentence).
_SAYS_WHEN = re.compile(r"施行|实施|执行|生效|有效期|试行期|执行期")
_COMMA = re.compile(r"[，,]")
#: The strength of a portal's field among a date's candidates: above any sentence of the text.
_PORTAL = 9
#: Paragraphs read for label lines and adoption history (a portal page's header comes first).
HEAD_PARAGRAPHS = 60


# --- reading ---------------------------------------------------------------------------------


class _Reader:
    """Collects candidate dates with their evidence over one document's text."""

    def __init__(self, paragraphs: list[str], meta: DocumentMeta, hints: dict[str, str]) -> None:
        self.paragraphs = paragraphs
        self.meta = meta
        self.hints = hints
        self.offsets: list[int] = []
        pos = 0
        for p in paragraphs:
            self.offsets.append(pos)
            pos += len(p) + 1
        self.v = Validity()
        #: (strength, position, value, rule, evidence text, start) per field.
        self.found: dict[str, list[tuple[int, int, str | None, str | None, str, int]]] = {}

    def evidence(self, field: str, text: str, start: int | None) -> None:
        ev = ValidityEvidence(field=field, text=text, start=start)
        if ev not in self.v.evidence:
            self.v.evidence.append(ev)

    def find_text(self, needle: str, paragraphs: Iterable[int] | None = None) -> int | None:
        """Offset of ``needle`` in the text (in the given paragraphs first), or None."""
        for i in paragraphs if paragraphs is not None else range(len(self.paragraphs)):
            at = self.paragraphs[i].find(needle)
            if at >= 0:
                return self.offsets[i] + at
        return None


def read_validity(paragraphs: list[str], meta: DocumentMeta, hints: dict[str, str] | None = None,
                  kinds: list[str] | None = None) -> Validity:
    """Read a document's validity from its paragraphs, its metadata and the details its file
    states outside the text (``hints``: a portal's info table or list, a Markdown header)."""
    r = _Reader(paragraphs, meta, hints or {})
    labels = _label_lines(r)
    _history(r, kinds or [])
    _issued(r, labels)
    _standing(r, kinds or [])
    _statements(r)
    _portal(r, labels)
    _supersedes(r)
    _settle(r)
    return r.v


def _label_lines(r: _Reader) -> dict[str, tuple[str, str, int]]:
    """Info labels in the text of a saved page (``成文日期：`` then ``2025-09-29``):
    field → (value, the span as written, its offset)."""
    out: dict[str, tuple[str, str, int]] = {}
    ps = r.paragraphs
    for i, p in enumerate(ps[:HEAD_PARAGRAPHS]):
        for m in _TEXT_LABEL.finditer(p):
            label = re.sub(r"\s*[：:]$", "", m.group(0))
            field = _TEXT_LABELS[label]
            rest = p[m.end():].strip()
            nxt = _TEXT_LABEL.search(rest)
            value = rest[: nxt.start()].strip() if nxt else rest
            start = r.offsets[i] + m.start()
            span = p[m.start(): m.end() + len(p[m.end():]) - len(rest) + len(value)]
            if not value and i + 1 < len(ps) and not _TEXT_LABEL.match(ps[i + 1]) and len(ps[i + 1]) <= 40:
                value = ps[i + 1].strip()
                span = f"{p[m.start():m.end()]}{value}"
            if value and len(value) <= 40 and field not in out:
                if field == "validity" and value not in STATED_VALIDITY:
                    continue
                if field != "validity" and not iso(value):
                    continue
                out[field] = (value, span, start)
    return out


def _history(r: _Reader, kinds: list[str]) -> None:
    """A regulation's adoption history: its latest act dates it, its first adoption is kept."""
    acts: list[tuple[str, str, str, int]] = []
    for i, p in enumerate(r.paragraphs[:HEAD_PARAGRAPHS]):
        header = i < len(kinds) and kinds[i] == "meta"
        if not header and not (_OPENS_WITH_DATE.match(p) and _HISTORY_LINE.search(p)):
            continue
        dates = list(_DATE_RE.finditer(p))
        for m in _HISTORY_ACT.finditer(p):
            date = iso(m.group(1))
            if date:
                # What the act did is read up to the next act's date (…批准的《关于修改…的决定》修正).
                after = next((d.start() for d in dates if d.start() > m.start()), len(p))
                acts.append((date, p[m.start():after], m.group(0), r.offsets[i] + m.start()))
    if not acts:
        return
    first = min(acts)
    last = max(acts)
    amended = [a for a in acts if re.search("修正|修订|修改", a[1])]
    r.v.first_adopted = first[0]
    r.v.amendments = len(amended)
    r.evidence("first_adopted", first[2], first[3])
    if last is not first:
        r.v.issued = last[0]
        r.evidence("issued", last[2], last[3])


def _issued(r: _Reader, labels: dict[str, tuple[str, str, int]]) -> None:
    """The issue date: the latest act of an adoption history, else the document's own date,
    else a label line (成文日期：…)."""
    if r.v.issued:
        return
    date = r.meta.date
    if date:
        r.v.issued = date
        written = _written(r, date)
        if written is not None:
            r.evidence("issued", written[0], written[1])
        else:
            r.evidence("issued", f"成文日期：{date_cn(date)}", None)
    elif "date" in labels:
        value, span, start = labels["date"]
        r.v.issued = iso(value)
        r.evidence("issued", span, start)
    else:
        signed = _signature_date(r)
        if signed is not None:
            r.v.issued = iso(signed[0])
            r.evidence("issued", signed[0], signed[1])


def _signature_date(r: _Reader) -> tuple[str, int] | None:
    """The signature's date (a date alone under the issuer's name) as written, and its offset."""
    signed = signature_date(r.paragraphs)
    if signed is None:
        return None
    i, written = signed
    return written, r.offsets[i] + r.paragraphs[i].find(written)


def _written(r: _Reader, date: str) -> tuple[str, int] | None:
    """How and where the text writes ``date`` (its signature, its order or history line)."""
    n = len(r.paragraphs)
    near = [*range(max(n - 12, 0), n), *range(min(n, 20))]
    # A date on its own line (a signature) first, then a date within a line (an order's).
    for alone in (True, False):
        for i in near:
            for m in _DATE_RE.finditer(r.paragraphs[i]):
                if iso(m.group(0)) == date and (not alone or r.paragraphs[i].strip() == m.group(0)):
                    return m.group(0), r.offsets[i] + m.start()
    return None


def _standing(r: _Reader, kinds: list[str]) -> None:
    """A draft (its title or a status line says so), a trial (试行, 暂行), a plan period."""
    title = r.meta.title
    head = [(i, p) for i, p in enumerate(r.paragraphs[:12])]
    m = _DRAFT_TITLE.search(title)
    if m:
        r.v.draft = True
        r.v.markers.append(m.group(0))
        r.evidence("draft", title, r.find_text(title, range(min(len(r.paragraphs), 15))))
    for i, p in head:
        s = _STATUS_LINE.match(p.strip())
        if s and _DRAFT_TITLE.search(s.group(1)) and len(p) <= 20:
            r.v.draft = True
            if s.group(1) not in r.v.markers:
                r.v.markers.append(s.group(1))
            r.evidence("draft", p.strip(), r.offsets[i])
    for marker in TRIAL_MARKERS:
        if marker in title:
            r.v.markers.append(marker)
            r.evidence("trial", title, r.find_text(title, range(min(len(r.paragraphs), 15))))
    p = _PERIOD.search(title)
    if p and 0 < int(p.group(2)) - int(p.group(1)) <= 20:
        r.v.period = (int(p.group(1)), int(p.group(2)))
        r.evidence("period", p.group(0), r.find_text(p.group(0), range(min(len(r.paragraphs), 15))))


def _statements(r: _Reader) -> None:
    """The sentences by which the document says when it applies."""
    for i, p in enumerate(r.paragraphs):
        if not _SAYS_WHEN.search(p):
            continue
        prev_self = False
        for sm in _SENTENCE.finditer(p):
            sentence = sm.group(0)
            lead = _LEADING_MARKER.match(sentence)
            body_at = sm.start() + (lead.end() if lead else 0)
            body = p[body_at: sm.end()]
            base = r.offsets[i] + body_at
            prev_self = _read_sentence(r, body, base, prev_self)


def _read_sentence(r: _Reader, body: str, base: int, prev_self: bool) -> bool:
    """Candidates from one sentence; True when it said when the document applies."""
    said = False
    for m in _START_EVENT.finditer(body):
        strength = _about_self(body, m.start(), prev_self)
        if strength:
            event, n = m.group("event"), m.group("n")
            rule = f"自{event}之日起" + (f"{n}日后" if n else "") + "施行"
            _add(r, "effective_from", strength, base, None, rule, body, m)
            said = True
    for m in _START_DATE.finditer(body):
        strength = _about_self(body, m.start(), prev_self)
        if strength:
            got = parse_date(m.group("date") or m.group("date2"))
            if got:
                _add(r, "effective_from", strength, base, got[0], None, body, m)
                said = True
            until = iso(m.group("until"))
            if until:
                _add(r, "effective_until", strength, base, until, None, body, m)
    for m in _UNTIL.finditer(body):
        strength = _about_self(body, m.start(), prev_self or said)
        if strength:
            if m.group("from"):
                _add(r, "effective_from", strength, base, iso(m.group("from")), None, body, m)
            _add(r, "effective_until", strength, base, end_of(m.group("until")), None, body, m)
            said = True
    for m in _TERM.finditer(body):
        strength = _about_self(body, m.start(), prev_self or said)
        if strength:
            n = cn_to_int(nfkc(m.group("n")))
            if n:
                _add(r, "term", strength, base, f"{n}{m.group('unit')}", None, body, m)
                said = True
    return said




def _about_self(body: str, at: int, prev_self: bool) -> int:
    """How surely the form at ``at`` speaks of the document: 2 after 本办法 (or a clause that
    names it), 1 opening a sentence or after a sentence that said when it applies, 0 not."""
    clauses = _COMMA.split(body[:at])
    own = clauses[-1]
    if own.strip():
        return 2 if _SELF_PREFIX.match(own) else 0
    if len(clauses) == 1:
        return 1
    before = clauses[-2]
    if _SELF_CLAUSE.search(before) or _START_EVENT.search(before) or _START_DATE.search(before):
        return 2
    return 1 if prev_self and len(clauses) == 2 and not before.strip() else 0


def _add(r: _Reader, field: str, strength: int, base: int, value: str | None, rule: str | None,
         body: str, m: re.Match[str]) -> None:
    text = _evidence_span(body, m)
    r.found.setdefault(field, []).append((strength, base, value, rule, text,
                                          base + body.find(text)))


def _evidence_span(body: str, m: re.Match[str]) -> str:
    """The clause that states a form: from its sentence's start (本办法…) to the form's end."""
    return body[: m.end()].strip().rstrip("，,")


def _best(r: _Reader, field: str):
    cands = r.found.get(field)
    if not cands:
        return None
    # The surest statement; of equals, the last (the closing articles, not a covering line).
    return max(cands, key=lambda c: (c[0], c[1]))


def _portal(r: _Reader, labels: dict[str, tuple[str, str, int]]) -> None:
    """A portal's info fields (hints or label lines) win over the text."""
    hints = r.hints
    for field, key in (("effective_from", "effective"), ("effective_until", "expires")):
        value = hints.get(key)
        if value and iso(value):
            label = hints.get(f"{key}_label") or {"effective": "生效日期", "expires": "失效日期"}[key]
            r.found.setdefault(field, []).append((_PORTAL, -1, iso(value), None, f"{label}：{value}", -1))
        elif key in labels:
            value, span, start = labels[key]
            r.found.setdefault(field, []).append((_PORTAL, start, iso(value), None, span, start))
    stated = hints.get("validity")
    if stated and stated.strip() in STATED_VALIDITY:
        label = hints.get("validity_label") or "有效性"
        r.v.stated = STATED_VALIDITY[stated.strip()]
        r.evidence("status", f"{label}：{stated.strip()}", None)
    elif "validity" in labels:
        value, span, start = labels["validity"]
        r.v.stated = STATED_VALIDITY[value]
        r.evidence("status", span, start)
    if "published" in labels and not hints.get("published"):
        hints = r.hints = {**hints, "published": labels["published"][0]}


def _supersedes(r: _Reader) -> None:
    """The documents it repeals: 原《…》（文号）同时废止, 《…》自本办法施行之日起废止."""
    for i, p in enumerate(r.paragraphs):
        if not _REPEAL.search(p) or "《" not in p:
            continue
        for sm in _SENTENCE.finditer(p):
            sentence = sm.group(0)
            for clause in re.split(r"[，,](?=[^》]*(?:《|$))", sentence):
                rm = _REPEAL.search(clause)
                if not rm or "《" not in clause[: rm.start()]:
                    continue
                if re.search(r"(?:根据|依据|按照|依照|参照)[^《]{0,4}《", clause[: rm.start()]) and "原《" not in clause:
                    continue
                names = [(m.group(1), m.group(2)) for m in _NAMED.finditer(clause[: rm.start()])]
                for title, number in names:
                    name = f"{title}（{number}）" if number else title
                    if name not in r.v.supersedes:
                        r.v.supersedes.append(name)
                text = clause[: rm.end()].strip()
                r.evidence("supersedes", text, r.offsets[i] + sm.start() + sentence.find(text))


def _settle(r: _Reader) -> None:
    """Choose each date from its candidates and compute the ones the text gives as rules."""
    v = r.v
    start = _best(r, "effective_from")
    if start is not None:
        _, _, value, rule, text, at = start
        if value is None and rule:
            base = _event_date(r, rule)
            n = re.search(r"(\d+)日后", rule)
            if base and n:
                value = add_days(base[0], int(n.group(1)))
                v.rules["effective_from"] = f"{rule}：{date_cn(base[0])}{base[1]}后{n.group(1)}日"
            elif base:
                value = base[0]
                v.rules["effective_from"] = f"{rule}：以{base[1]}{date_cn(base[0])}起算"
            else:
                event = re.search(alternation(ISSUE_EVENTS), rule)
                v.rules["effective_from"] = f"{rule}（{event.group(0) if event else '印发'}日期未载明）"
        v.effective_from = value
        r.evidence("effective_from", text, at if at >= 0 else None)
        _own_words(r, "effective_from", start)
    until = _best(r, "effective_until")
    term = _best(r, "term")
    if until is not None and (term is None or until[0] >= term[0]):
        _, _, value, _, text, at = until
        v.effective_until = value
        r.evidence("effective_until", text, at if at >= 0 else None)
        _own_words(r, "effective_until", until)
        if term is not None and until[0] == _PORTAL:
            r.evidence("effective_until", term[4], term[5])
    elif term is not None:
        _, _, value, _, text, at = term
        n, unit = int(re.match(r"\d+", value).group(0)), re.sub(r"^\d+", "", value)
        r.evidence("effective_until", text, at)
        if v.effective_from:
            v.effective_until = add_term(v.effective_from, n, unit)
            v.rules["effective_until"] = (f"有效期{n}{unit}：自{date_cn(v.effective_from)}起算，"
                                          f"至{date_cn(v.effective_until)}止，即起算日{n}{unit}后的前一日")
        else:
            v.rules["effective_until"] = f"有效期{n}{unit}（起算日未载明）"


def _own_words(r: _Reader, field: str, chosen) -> None:
    """When a portal's field won, the document's own words on it are kept as evidence too (an
    answer quotes them: “本通知有效期1年”)."""
    if chosen[0] != _PORTAL:
        return
    own = [c for c in r.found.get(field, []) if c[0] < _PORTAL]
    if own:
        best = max(own, key=lambda c: (c[0], c[1]))
        r.evidence(field, best[4], best[5])


def _event_date(r: _Reader, rule: str) -> tuple[str, str] | None:
    """The date a 自…之日起 rule counts from, and what it is called: the publication date for
    发布/公布 when the page states one, else the issue date."""
    if re.search("发布|公布|颁布", rule):
        # Publication follows the issue by days or, for a regulation, by its approval: only a
        # stated publication date dates it.
        published = iso(r.hints.get("published"))
        return (published, "发布日期") if published else None
    printed = printing_date(r.paragraphs) if "印发" in rule else None
    if printed and iso(printed[1]):
        return iso(printed[1]), "印发日期"
    if r.v.issued:
        return r.v.issued, "成文日期" if not r.v.first_adopted else "最近一次审议日期"
    return None
