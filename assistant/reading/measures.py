"""Support measures: what each clause grants (奖励, 补贴, 贴息…), to whom, how much, on what
conditions, who carries it out and until when — every field read from the clause's text.

A clause is cut into sentences, a sentence into parts (at ；, and after a lead-in ending in
``其中：``) and a part into comma pieces. A piece *grants* when it holds a grant verb (给予,
予以, 拨付…) with a figure or a kind of measure after it, or a measure's limit with a figure
(单机补贴限额不超过5万元, 支持金额最高可至3000万元). Each granting piece that names its own kind
or follows a new beneficiary opens a measure; the pieces before it give the beneficiary, the
basis of its rates and its conditions; the pieces after it that set a ceiling per unit (单个企业
年度激励金额最高不超过2000万元), a period (贴息期限不超过两年) or deny a repeat (不重复给予) close
it. A figure inside the beneficiary (基础研究投入达到或超过1亿元/年的企业) is a condition, never
an amount granted. What the text does not give stays empty.

The fields' words come from the lexicon (:data:`~assistant.language.lexicon.MEASURE_KINDS`,
``GRANT_VERBS``, ``CAP_WORDS``…); figures from :mod:`assistant.language.quantities`; the units
from the clause's responsibility note (:mod:`~assistant.reading.responsibility`), else, for a
sum of money, the units the document names as paying its grants out, else the issuing
departments of the document; periods from :mod:`~assistant.reading.measure_fields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..language.lexicon import (
    BENEFICIARY_HEADS,
    CAP_WORDS,
    CONDITION_WORDS,
    GENERIC_AGENTS,
    GRANT_NEGATIONS,
    GRANT_VERBS,
    LEAD_VERBS,
    MEASURE_KINDS,
    MEASURE_LIMITS,
    PER_WORDS,
    RELIEF_WORDS,
    UNIT_ENDINGS,
    alternation,
)
from ..language.quantities import Figure, money_figures, rate_figures
from ..types import CHILDREN_PREFIX, Clause, Measure, MeasureAmount, MeasureRate, Span
from .measure_fields import issuing_units, period_of

_KIND = re.compile(alternation(MEASURE_KINDS))
_VERB = re.compile(alternation(GRANT_VERBS))
_GIVE = re.compile(r"给予|予以")
_RELIEF = re.compile(r"(?:落实|享受|允许|给予|予以)[^，。；]{0,24}?" + alternation(RELIEF_WORDS))
_LIMIT = re.compile(alternation(MEASURE_LIMITS))
#: What may follow a kind word in its name (补贴额测算比例, 激励金额, 补贴资金).
_KIND_TAIL = re.compile(r"(?:额|金额|限额|标准|额度|上限|测算比例|比例|资金){1,2}")
_CAP = re.compile(alternation(CAP_WORDS))
_PER = re.compile(alternation(PER_WORDS))
_CONDITION = re.compile(alternation(CONDITION_WORDS))
_NEGATED = re.compile(alternation(GRANT_NEGATIONS) + r"(?:重复)?$")
_HEAD_END = re.compile(alternation(BENEFICIARY_HEADS) + r"(?:（[^）]*）)?$")
_COST_END = re.compile(r"(?:费用|支出|投入|金额|利息|费|资金|贷款|成本)$")
_LEAD = re.compile("^(?:" + alternation(LEAD_VERBS) + ")+")
#: Sentences end at 。！？; a line break ends one only after such a mark, after a line with no
#: comma (a heading or a label), or before a numbered line: a PDF's or a page's wrapped lines
#: do not cut a sentence.
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]*")
_NUMBERED = re.compile(r"\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+[.．、]|第[一二三四五六七八九十百]+条)")
#: Parts of a sentence: at ；, and after a lead-in that ends in 其中：.
_PART = re.compile(r"[^；;]+[；;]?")
#: Comma pieces, brackets kept whole.
_PIECE_SEP = "，,"
_OPEN, _CLOSE = "（([【“", "）)]】”"
#: A rate that is a target or a share the beneficiary must reach, not what is granted.
_TARGET_RATE = re.compile(r"(?:达到|提升至|提升到|增长|占[^，。；]{0,20}(?:比重|比例)|不低于|超过|高于)\s*$")
#: The money a rate is a share of: 按(照)…的30%, 不超过总投入30%.
_RATE_BASIS = re.compile(r"(?:按照|按|不超过|最高不超过|最高|给予)?([^，。；、按]{2,24}?)的?\s*$")
#: Words of a sentence that is about money, but not a measure: fines, fees, budgets, targets.
_NOT_A_GRANT = re.compile(r"罚款|处以|没收|收费|收取|缴纳|交纳|缴费|费率|违约金|赔偿金|工资|薪酬|损坏|征用|征收|希望|请求|表扬|截至|"
                         r"累计发放|共发放|已发放|全年发放")
#: A floor a measure's text sets is a requirement (占比不得低于80%), never what it grants.
_FLOOR = re.compile(r"(?:不低于|不得低于|不少于|不得少于|至少)\s*$")
#: 由X按照/负责/拨付…: the units a sentence names as carrying out what it grants.
_AGENT = re.compile(r"由([^，。；由]{2,30}?)(?:按照|按|负责|拨付|兑付|发放|给予|予以|开展|统一|在)")
_UNIT_END = re.compile(alternation(UNIT_ENDINGS) + r"$")
#: A sentence that pays a document's grants out: 兑付/发放/拨付 with the money after it
#: (向符合要求的购机者兑付资金, 发放补贴资金).
_PAYS = re.compile(r"(?:兑付|发放|拨付)(?:[^，。；]{0,6}?)(?:资金|补贴|奖励|补助|奖补)")
#: A body's name opening a comma piece, or after 向/由 in it: who a paying sentence names.
_PIECE_BODY = re.compile(r"^(?:第[一二三四五六七八九十百]+条)?(?:[各由向]|[^，。；]{0,30}?[向由])?([\u4e00-\u9fff（）()]{2,16}?(?:"
                         + alternation(UNIT_ENDINGS) + r"))(?=[^\u4e00-\u9fff（）()]|[在于应按将要对向和及会须负统]|$)")
#: A grant named as a mechanism being explored (探索…给予应用补贴的方式方法), not granted.
_MECHANISM = re.compile(r"的(?:方式方法|方式|方法|机制|办法|模式|路径|政策体系)")


@dataclass
class _Piece:
    start: int
    end: int
    text: str

    @property
    def money(self) -> list[Figure]:
        return [f for f in money_figures(self.text)]

    @property
    def rates(self) -> list[Figure]:
        return [f for f in rate_figures(self.text)]


@dataclass
class _Draft:
    """A measure being read: its pieces and what they gave."""

    start: int
    end: int
    kind: str
    beneficiary: str | None = None
    conditions: list[str] = field(default_factory=list)
    amounts: list[MeasureAmount] = field(default_factory=list)
    rates: list[MeasureRate] = field(default_factory=list)
    #: The beneficiary was read from the sentence before (the span then holds it too).
    from_before: int | None = None


def document_measures(clauses: list[Clause]) -> list[Measure]:
    """The measures of a document's clauses, in reading order."""
    meta = next((c.meta for c in clauses if c.meta is not None), None)
    issuers = issuing_units(meta.issuer if meta else None)
    payers = paying_units(clauses)
    out: list[Measure] = []
    for clause in clauses:
        out += clause_measures(clause, issuers, payers)
    return out


def paying_units(clauses: list[Clause]) -> list[str]:
    """The units a document names as paying its grants out to their beneficiaries: the bodies
    of its first sentence that pays money out (市县（区）农业农村部门…向财政部门提交资金兑付申请…，
    财政部门…向符合要求的购机者兑付资金), lead first; none when no sentence does."""
    for clause in clauses:
        if clause.kind == "header" or not _PAYS.search(clause.text):
            continue
        for a, b in _sentences(clause.text):
            sentence = clause.text[a:b]
            if not _PAYS.search(sentence) or _NOT_A_GRANT.search(sentence):
                continue
            names: list[str] = []
            for piece in re.split(r"[，,；;]", re.sub(r"\s+", "", sentence)):
                m = _PIECE_BODY.search(piece)
                if m and m.group(1) not in GENERIC_AGENTS:
                    names.append(m.group(1))
            names = _unique(names)
            if names:
                return names
    return []


def clause_measures(clause: Clause, issuers: list[str] | None = None,
                    payers: list[str] | None = None) -> list[Measure]:
    """The measures ``clause`` grants (none for a document's header). A sum of money the clause
    gives no unit for is carried by ``payers`` (the document's paying units) when there are any:
    the issuers of a plan set its rates, but the units that pay a sum out are whom its
    beneficiary deals with."""
    if clause.kind == "header" or "addresses_assistant" in clause.flags:
        return []
    text = clause.text
    if not (_KIND.search(text) or _VERB.search(text)):
        return []
    heading = " ".join(clause.section_path) + " " + " ".join(_label_lines(text))
    own_heading = clause.section_path[-1] if clause.section_path else ""
    drafts: list[_Draft] = []
    sentences = [(a, b) for a, b in _sentences(text)
                 if text[a:b].strip() and not text[a:b].startswith(CHILDREN_PREFIX)]
    previous: tuple[int, int] | None = None
    last: list[_Draft] = []
    for s0, s1 in sentences:
        pieces = _pieces(text, s0, s1)
        if last and pieces and _PER.match(_bare(pieces[0].text)) and _closes(pieces[0].text):
            # 单个企业年度激励金额最高不超过2000万元，同一平台车型不重复给予激励。: the ceiling
            # and conditions of the measures of the sentence before.
            for piece in pieces:
                _close(last, piece)
            previous, last = (s0, s1), []
            continue
        last = _sentence_measures(text, s0, s1, heading, previous, own_heading)
        drafts += last
        previous = (s0, s1)
    clause_units = _units(clause, issuers or [])
    measures = []
    for i, d in enumerate(drafts):
        start = d.from_before if d.from_before is not None else d.start
        agents = _agents(text[start:d.end])
        units, units_from = (agents, "sentence") if agents else clause_units
        if payers and units_from == "issuer" and d.amounts:
            units, units_from = list(payers), "payer"
        span_text = text[start:d.end]
        stripped = span_text.rstrip("。；;，, \n")
        end = start + len(stripped)
        measures.append(Measure(
            id=f"{clause.chunk_id}-{i + 1}", doc_id=clause.doc_id, chunk_id=clause.chunk_id,
            section_path=clause.section_path, label=clause.label, kind=d.kind,
            beneficiary=d.beneficiary, conditions=_unique(d.conditions), amounts=d.amounts,
            rates=d.rates, units=units, units_from=units_from,
            period=period_of(text[d.start:d.end]),
            span=Span(start=start, end=end, text=text[start:end])))
    return measures


# --- one sentence ---------------------------------------------------------------------------------


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a clause's text."""
    out: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        begin = m.start()
        chunk = m.group()
        at = 0
        for line in re.finditer(r"\n", chunk):
            before = chunk[at:line.start()]
            after = chunk[line.end():]
            label = not re.search(r"[，,；;：:]", before) and (len(before.strip()) <= 40 or _NUMBERED.match(before))
            if label or _NUMBERED.match(after) or not before.strip():
                out.append((begin + at, begin + line.start()))
                at = line.end()
        out.append((begin + at, m.end()))
    return [(a, b) for a, b in out if b > a]


def _label_lines(text: str) -> list[str]:
    """The heading lines a clause's text opens with (2.\n机制电价竞价上下限\n…)."""
    out = []
    for line in text.split("\n")[:3]:
        if re.search(r"[，。；,;]", line):
            break
        out.append(line.strip())
    return out


def _sentence_measures(text: str, s0: int, s1: int, heading: str,
                       previous: tuple[int, int] | None, own_heading: str = "") -> list[_Draft]:
    sentence = text[s0:s1]
    if _NOT_A_GRANT.search(sentence) or not (_KIND.search(sentence) or _VERB.search(sentence)
                                               or (_KIND.search(heading) and _LIMIT.search(sentence))):
        return []
    made: list[_Draft] = []
    head_beneficiary: str | None = None
    for p0, p1 in _parts(sentence):
        in_part = _part_measures(_pieces(text, s0 + p0, s0 + p1), heading, head_beneficiary)
        if re.search(r"其中[:：]\s*$", sentence[p0:p1]) and not any(d.amounts or d.rates for d in in_part):
            # A lead-in (对…车型给予一次性产品研发激励，其中：) names the beneficiary of the
            # tiers that follow; it is not a measure of its own.
            head = in_part[0].beneficiary if in_part else None
            head_beneficiary = head or _beneficiary("", _pieces(text, s0 + p0, s0 + p1))[0]
            continue
        if in_part:
            in_part[-1].end = max(in_part[-1].end, s0 + p1)
        made += in_part
    if sentence.rstrip().endswith(("：", ":")):
        # …给予支持和发展奖励，具体如下：: a lead-in to the measures listed after it.
        made = [d for d in made if d.amounts or d.rates]
    for before, after in zip(made, made[1:], strict=False):
        if after.beneficiary is None:
            after.beneficiary = before.beneficiary  # 并每年给予…: the same beneficiary
    for d in made:
        if d.beneficiary is None and previous is not None:
            # 按照规定给予…经费支持。: whom it is for is said in the sentence before, which the
            # span then holds too.
            d.from_before = previous[0]
            d.beneficiary = _supported(text[previous[0]:previous[1]]) or _from_heading(own_heading)
        elif d.beneficiary is None:
            d.beneficiary = _from_heading(own_heading)
        d.beneficiary = _tidy(d.beneficiary)
    return made


def _part_measures(pieces: list[_Piece], heading: str, head_beneficiary: str | None) -> list[_Draft]:
    """The measures of one part of a sentence, from its comma pieces."""
    out: list[_Draft] = []
    context: list[_Piece] = []
    for piece in pieces:
        kind = _grant_kind(piece.text, heading)
        if kind is None:
            tier = re.match(r"\s*[^，。；\d]{1,10}?(?:奖|级|档|类)?\s*(?:为)?\s*\d", piece.text) and len(piece.text) <= 16
            if out and piece.money and (re.match(r"[^，。；]{0,20}?每[\u4e00-\u9fff]{1,3}", piece.text) or tier) \
                    and not _CONDITION.search(piece.text):
                # 其他服务模式运营的每人每次1.5元: another figure of the same standard.
                out[-1].amounts += [_amount(piece.text, f) for f in piece.money]
                out[-1].end = piece.end
                continue
            if out and _closes(piece.text):
                _close(out if _PER.match(_bare(piece.text)) and len(out) > 1 and not context else out[-1], piece)
            else:
                context.append(piece)
            continue
        if out and not context and _PER.match(_bare(piece.text)) and _CAP.search(piece.text) \
                and not _GIVE.search(piece.text):
            _close(out[-1], piece)  # 每家企业每年最高补助100万元
            continue
        own_subject = bool(context) and _beneficiary("", context)[0] is not None
        own_subject = own_subject or _subject_before_kind(piece.text) is not None \
            or re.match(r"\s*(?:并|另|同时)?(?:对于|对|针对)", piece.text) is not None
        again = re.match(r"\s*(?:即|再|另|还|剩余|本次|其余)", _bare_lead(piece.text))
        if out and not own_subject and (not kind[1] or again or kind[0] == out[-1].kind
                                        or not (out[-1].amounts or out[-1].rates)):
            # 本次拨付41.67万元, 再兑付30%的补贴资金: more of the measure before.
            _add_figures(out[-1], piece, context)
            out[-1].end = piece.end
            context = []
            continue
        draft = _Draft(start=(context[0].start if context else piece.start), end=piece.end, kind=kind[0])
        _add_figures(draft, piece, context)
        if not (draft.amounts or draft.rates) and not (kind[1] and (_GIVE.search(piece.text)
                                                                    or _RELIEF.search(piece.text))):
            context.append(piece)
            continue
        if out:
            out[-1].end = min(out[-1].end, draft.start)
        draft.beneficiary, conditions = _beneficiary(piece.text, context)
        draft.conditions += conditions
        if head_beneficiary:
            if draft.beneficiary and draft.beneficiary != head_beneficiary:
                draft.conditions.insert(0, _strip_head(draft.beneficiary))
            draft.beneficiary = head_beneficiary
        out.append(draft)
        context = []
    return out


def _from_heading(heading: str) -> str | None:
    """What an item's heading says it supports (（九）培育发展科学仪器产业 → 科学仪器产业)."""
    last = _bare(heading)
    last = re.sub(r"^(?:" + alternation(LEAD_VERBS) + r"|发展|加快|加强|提升|推进|实施)+", "", last)
    return last if _HEAD_END.search(last) or last.endswith("产业") else None


def _parts(sentence: str) -> list[tuple[int, int]]:
    out = []
    for m in _PART.finditer(sentence):
        chunk = m.group()
        cut = re.search(r"其中[:：]", chunk)
        if cut and chunk[cut.end():].strip():
            out += [(m.start(), m.start() + cut.end()), (m.start() + cut.end(), m.end())]
        else:
            out.append((m.start(), m.end()))
    return out


def _pieces(text: str, start: int, end: int) -> list[_Piece]:
    """Comma pieces of ``text[start:end]`` (a comma inside brackets does not cut)."""
    out, depth, begin = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in _PIECE_SEP and depth == 0:
            if text[begin:i].strip():
                out.append(_Piece(begin, i, text[begin:i]))
            begin = i + 1
    if text[begin:end].strip():
        out.append(_Piece(begin, end, text[begin:end]))
    return out


def _grant_kind(piece: str, heading: str) -> tuple[str, bool] | None:
    """(the kind of measure, whether the piece names it itself) when ``piece`` grants."""
    money, rates = money_figures(piece), rate_figures(piece)
    verb = next((m for m in _VERB.finditer(piece) if not _NEGATED.search(piece[:m.start()])), None)
    if verb is not None and _MECHANISM.search(piece, verb.end()):
        return None
    relief = _RELIEF.search(piece)
    if relief and not (money or rates):
        return (_kind_phrase(piece, 0) or relief.group(0), True)
    give = verb is not None and _GIVE.fullmatch(verb.group()) is not None
    # After 给予 the kind follows (给予一次性奖励); other verbs name it (补贴限额, 奖励).
    kind = _kind_phrase(piece, (verb.end() if give else verb.start()) if verb else 0)
    if give:
        if kind or money or rates:
            return (kind or verb.group(), bool(kind))
        return None
    if verb is not None and (money or rates):
        return (kind or _kind_phrase(piece, 0) or verb.group(), bool(kind))
    if (money or rates) and _LIMIT.search(piece):
        named = _kind_phrase(piece, 0) or _kind_phrase(heading, 0)
        if named:
            limit = _LIMIT.search(piece)
            return (named if _KIND.search(piece) else piece[limit.start():limit.end()], True)
    return None


def _kind_phrase(text: str, after: int) -> str | None:
    """The phrase naming a kind of measure at or after ``after``: the kind word with what
    qualifies it before (一次性财政补助, 单机补贴限额, 经费支持)."""
    matches = list(_KIND.finditer(text, after))
    if not matches:
        return None
    # A kind word followed by a limit (单机补贴限额) names the measure; else the first one.
    m = next((m for m in matches if _LIMIT.match(text, m.end())), matches[0])
    end = m.end()
    limit = _KIND_TAIL.match(text, end)
    if limit:
        end = limit.end()
    begin = m.start()
    if m.group() in RELIEF_WORDS or m.group().endswith("优惠"):
        return text[begin:end]  # 税收优惠: what qualifies it before is whom it is for
    per = re.search(r"(?:单机|单套|单个|每台|每套)$", text[:begin])
    if per:
        return text[begin - len(per.group()):end]
    while begin > after and m.start() - begin < 8:
        ch = text[begin - 1]
        if not ("\u4e00" <= ch <= "\u9fff") or ch in "的给予和与及按元" or text[begin - 2:begin] in ("给予", "予以"):
            break
        if _HEAD_END.search(text[after:begin]) and text[begin - 2:begin] != "财政":
            break
        begin -= 1
    return text[begin:end]


def _add_figures(draft: _Draft, piece: _Piece, context: list[_Piece]) -> None:
    """The amounts and rates of a granting piece, with the rates' basis from the pieces before
    (按照企业实际支付额的50%，给予补助)."""
    verb = _VERB.search(piece.text)
    cut = verb.start() if verb else 0
    for f in piece.money:
        before = piece.text[:f.start]
        threshold = re.search(r"(?:不足|(?<!不)低于|(?<!不)少于|(?<!不)超过|达到|(?<!不)高于|达)\s*$", before) and re.match(r"[^，。；]{0,3}?的", piece.text[f.end:])
        if (f.start < cut and _CONDITION.search(before) and not _CAP.search(before[-6:])) or threshold:
            draft.conditions.append(_strip_head(_bare(piece.text[:cut])))
            continue
        draft.amounts.append(_amount(piece.text, f, draft))
    for c in context:
        if re.match(r"\s*(?:按照|按)", c.text) and not rate_figures(c.text) and not _CONDITION.search(c.text):
            # 按照每人3000元标准，给予…补贴: the standard stands before the grant.
            draft.amounts += [_amount(c.text, f, draft) for f in c.money]
    for source in [*[c for c in context if c.rates and re.search(r"按|比例|不超过", c.text)], piece]:
        for f in source.rates:
            before = source.text[:f.start]
            if _FLOOR.search(before):
                continue
            if _TARGET_RATE.search(before) and not _LIMIT.search(before) and source is not piece:
                continue
            if _TARGET_RATE.search(before) and source is piece and not (_LIMIT.search(before) or _VERB.search(before)):
                continue
            draft.rates.append(MeasureRate(text=f.text, value=f.value, basis=_rate_basis(before)))
    rate = draft.rates[0] if draft.rates else None
    for a in draft.amounts:
        if a.cap and rate is not None and a.basis is None and rate.basis:
            a.basis = f"按{rate.basis}的{rate.text}"


def _rate_basis(before: str) -> str | None:
    """What a rate is a share of, from the text before it (按照企业实际支付额的50% → 企业实际
    支付额; 不超过总投入30% → 总投入); None when it does not say."""
    m = re.search(r"(?:按照|按|不超过|不得超过|最高不超过|控制在|占)(?:规定)?(?:分阶段)?(?:给予)?(?:不超过)?"
                  r"([^，。；、按]{2,30}?)(?:的)?\s*$", before)
    if not m:
        return None
    basis = m.group(1).strip()
    if re.search(r"比例|提高至|调至", basis) or re.fullmatch(r"[\d.]+", basis):
        return None
    return re.sub(r"^(?:最高|总体)", "", basis) or None


def _amount(text: str, f: Figure, draft: _Draft | None = None) -> MeasureAmount:
    before = text[:f.start]
    cap_word = _CAP.search(before[-8:]) or re.match(r"\s*以内", text[f.end:])
    per = _PER.search(before) or re.search(r"每[\u4e00-\u9fff]{1,4}?(?=(?:最高|不超过|给予)?\s*$)", before)
    basis = None
    if per:
        basis = re.split(r"最高|不超过|上限|给予|补助|奖励|贴息|激励", before[per.start():])[0].strip() or None
    if f.per:
        basis = f"每{f.per}" if basis is None else basis
    shown = f.text
    lead = re.search(r"(?:最高不超过|最高可至|最高|不超过|上限为|累计不超过)\s*$", before)
    if lead:
        shown = lead.group(0).strip() + f.text
    return MeasureAmount(text=shown, yuan=f.value, cap=bool(cap_word), basis=basis)


def _closes(piece: str) -> bool:
    """Whether a piece after a measure sets its ceiling or denies a repeat."""
    if (money_figures(piece) or rate_figures(piece)) and (_CAP.search(piece) or _PER.match(piece)):
        return True
    return bool(re.search(r"不重复|不再|不得|期限", piece))


def _close(target, piece: _Piece) -> None:
    """Add a closing piece to one measure or to each of a list."""
    for d in target if isinstance(target, list) else [target]:
        money = piece.money
        if money:
            for f in money:
                a = _amount(piece.text, f)
                if a.basis is None and _PER.match(piece.text):
                    a.basis = _PER.match(piece.text).group()
                d.amounts.append(a)
        elif not re.search("期限", piece.text):
            d.conditions.append(_bare(piece.text))
        d.end = max(d.end, piece.end)


def _beneficiary(piece: str, context: list[_Piece]) -> tuple[str | None, list[str]]:
    """Whom a measure is for, and the conditions read with it, from its granting piece and
    the pieces before it."""
    conditions: list[str] = []
    after_give = re.search(r"(?:给予|予以)([^，。；\d最不按一]{2,30}?)(?=每|单个|最高|不超过|\d|[一二三四五六七八九十]|按|的?一次性|"
                           + alternation(MEASURE_KINDS) + ")", piece)
    if after_give and _HEAD_END.search(after_give.group(1)):
        return after_give.group(1), conditions
    texts = [c.text for c in context] + [piece[:_VERB.search(piece).start()] if _VERB.search(piece) else ""]
    for t in texts:
        m = re.search(r"(?:^|[^针])(?:对于|对|针对)(.+)$", _bare(t))
        if m:
            who = re.split(r"按照|按|给予|予以", m.group(1))[0].strip("，, ")
            # 对X is whom a measure is for, unless X is a cost it is counted on (对…产生的费用).
            if who and not _COST_END.search(who) and len(who) <= 60:
                conditions += _conditions_in(who)
                return who, conditions
    subject = _subject_before_kind(piece)
    if subject and _LEAD.match(subject):  # 落实创业孵化载体税收优惠政策: the piece names whom
        return _LEAD.sub("", subject), conditions
    for t in reversed(texts):
        who = _bare(t)
        if who and _HEAD_END.search(who) and len(who) <= 60:
            conditions += _conditions_in(who)
            return _LEAD.sub("", who) or who, conditions
    if subject:
        return subject, conditions
    for t in texts:
        found = _supported(t)
        if found:
            return found, conditions
    return None, conditions


def _subject_before_kind(piece: str) -> str | None:
    """The subject a limit is set for (一般补贴机具 in 一般补贴机具单机补贴限额…)."""
    kind = _kind_phrase(piece, 0)
    if not kind:
        limit = _LIMIT.search(piece)
        at = limit.start() if limit else -1
    else:
        at = piece.find(kind)
    if at <= 1:
        return None
    who = _bare(piece[:at])
    who = re.sub(r"^(?:\d{4}年、?)+", "", who)
    who = re.sub(r"(?:原则上|的)$", "", who).strip()
    who = re.sub(r"(?:单机|单套|单个|每台|每套)$", "", who)
    if _LEAD.fullmatch(who) or who in ("其", "该", "此"):
        return None
    return who if 2 <= len(who) <= 60 and not re.search(r"\d+(?:\.\d+)?\s*[%％]|元", who) else None


def _supported(sentence: str) -> str | None:
    """Whom a sentence supports (支持企业…, 鼓励企业…, 引育…重点项目) when a measure's own
    sentence names nobody."""
    m = re.search(r"(?:支持|鼓励|引导|推动)([^，。；、]{0,12}?" + alternation(BENEFICIARY_HEADS) + ")", sentence)
    if m:
        return m.group(1)
    m = re.search(r"对([^，。；]{2,60}?" + alternation(BENEFICIARY_HEADS) + r")(?:实施|给予|予以|开展)", sentence)
    if m:
        return m.group(1)
    for piece in re.split(r"[，。；]", sentence):
        piece = _bare(piece)
        if _HEAD_END.search(piece) and len(piece) <= 40:
            return _LEAD.sub("", piece) or piece
    label = re.match(r"\s*([^，。；]{2,20}?(?:" + alternation(BENEFICIARY_HEADS) + r"))的[^，。；]{1,8}[。]?\s*$", sentence)
    return label.group(1) if label else None


def _tidy(who: str | None) -> str | None:
    """A beneficiary without a leading quantity or a trailing count (一批概念验证平台 → 概念验证平台,
    有效响应用户62户 → 有效响应用户)."""
    if not who:
        return None
    who = re.sub(r"^(?:新建|新增)?(?:一批|一些|若干|各类|一大批)", "", re.sub(r"\s+", "", who))
    who = re.sub(r"^(?:落实|允许|享受)", "", who)
    who = re.sub(r"(?<=[\u4e00-\u9fff])\d+(?:户|家|个|人|项)$", "", who)
    who = re.sub(r"(?<=..)(?:单机|单套|单个|每台|每套)$", "", who)
    return who or None


def _conditions_in(who: str) -> list[str]:
    """The conditions a beneficiary phrase states (年度提供…达1000辆 in 对年度提供…达1000辆的
    融资租赁机构)."""
    if "的" not in who or not (_CONDITION.search(who) or money_figures(who.rsplit("的", 1)[0])):
        return []
    return [_strip_head(who)]


def _strip_head(who: str) -> str:
    """A beneficiary phrase without its head noun (…的企业 → …, …的科技企业 → …)."""
    if "的" in who:
        before, head = who.rsplit("的", 1)
        if before and len(head) <= 8 and _HEAD_END.search(head):
            return before
    return who


def _bare_lead(text: str) -> str:
    """A piece without its marks (its leading 并, 即 kept)."""
    return text.strip().strip("，,；;。：: ")


def _bare(text: str) -> str:
    """A piece without the marks around it and a leading numbering."""
    text = text.strip().strip("，,；;。：: ")
    text = re.sub(r"^(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+[.．、])", "", text)
    text = re.sub(r"^(?:其中|同时|此外|并|另外)[，,：:]?", "", text)
    return text.strip()


def _units(clause: Clause, issuers: list[str]) -> tuple[list[str], str | None]:
    if clause.responsible_units:
        lead = [u for u in clause.lead_units if u in clause.responsible_units]
        return lead + [u for u in clause.responsible_units if u not in lead], "note"
    if issuers:
        return list(issuers), "issuer"
    return [], None


def _agents(sentence: str) -> list[str]:
    """The units a granting sentence itself names as carrying it out (由电网企业按照…开展差价结算,
    由市、区民政部门按照…发放), which outrank a note or the issuers; none for a generic subject
    (由企业负责)."""
    m = _AGENT.search(sentence)
    if m is None:
        return []
    names: list[str] = []
    held = ""
    for name in re.split(r"([、，,]|和(?=[\u4e00-\u9fff]{2}))", m.group(1)):
        if not name or name in "、，,和":
            held += name if held else ""
            continue
        held += name
        if _UNIT_END.search(held):
            # 市、区民政部门: places before a shared body stay one name with it.
            names.append(held)
            held = ""
    return [n for n in names if _UNIT_END.search(n) and n not in GENERIC_AGENTS]


def _unique(items: list[str]) -> list[str]:
    return [x for x in dict.fromkeys(i for i in items if i)]
