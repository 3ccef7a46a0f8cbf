"""Question analysis: what a question asks for and where it may be answered from.

Shared by the extractive composer, the language-model composer and the follow-up rewriter.
Everything here is general Chinese question structure and unit vocabulary, not the wording of
any particular question:

- :func:`answer_type`: the kind of fact asked for (amount, rate, count, duration, date, who,
  list, yes/no, definition, or ``other``), read from interrogatives and the measure words
  around them (多少元, 几年, 比例, 哪些部门, 是否…, 什么是…).
- :func:`states_type`: whether a sentence states a value of that kind (30万元, 15%, 3年, 5家…).
- :func:`places` / :func:`named_titles` / :func:`is_comparison`: the places, document names and
  comparison wording of a question, which scope the clauses an answer may quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..language.lexicon import (
    AND_WORDS,
    ANY_NAME,
    BODY_ENDINGS,
    BOOK_TITLE,
    DOC_KINDS,
    FUNCTION_CHARS,
    GRANT_WORDS,
    INTERROGATIVE_WORDS,
    INTERROGATIVES,
    LIST_MARK,
    NOT_BODY_WORDS,
    QUOTED_NAME_MAX,
    UNIT_ENDINGS,
    WITH_WORDS,
    alternation,
    quoted,
)
from ..language.places import place_words, places
from ..language.segment import jieba_loaded
from ..language.text import cn_to_int, normalize, normalize_question
from ..types import Filters
from .whichdocs import documents_topic

# --- answer types ------------------------------------------------------------------------------

AMOUNT, RATE, COUNT, DURATION, DATE, WHO, LIST, YESNO, DEFINITION, OTHER = (
    "amount", "rate", "count", "duration", "date", "who", "list", "yesno", "definition", "other")
#: A bare 多少/几 with no measure word: some number (an amount, share, count or period).
QUANTITY = "quantity"
#: How to apply: the materials to hand in, where and how to file, the steps.
PROCEDURE = "procedure"

#: Numerals as policy documents write them: digits (full or half width) or Chinese numerals.
#: Chinese numerals count only where they are not part of a word (单一, 统一, 进一步, 之一).
_NUM = (r"(?:[0-9０-９]+(?:[.．][0-9０-９]+)?|"
        r"(?<![单统唯同进之专逐整划归合独若初万])"
        r"[零一二两三四五六七八九十百千万亿半]+(?:点[零一二三四五六七八九]+)?)")
_MONEY_UNIT = r"(?:元|万元|亿元|千元|百元|美元|万美元|亿美元)"
_CLASSIFIER = r"(?:个|家|项|名|人|所|座|条|批|户|次|处|台|套|支|只|张|种|类|级|层|位|辆|艘|间|床|件|篇|期|场|轮|部|栋|款|例|发|颗|枚|架|份|组|对|本|册)"
#: Units of measure (length, area, weight, energy, age): a measured quantity counts as a count.
_MEASURE = (r"(?:平方公里|平方千米|平方米|立方米|公里|千米|厘米|毫米|米|㎡|m2|亩|公顷|吨|千克|公斤|千瓦|兆瓦|"
            r"千瓦时|度|周岁|岁|分钟|人次|GB|MB)")
_TIME_UNIT = r"(?:年|个月|月|周|星期|日|天|小时|个工作日|工作日|个自然日|自然日)"

# Interrogatives that ask for a quantity, followed (or preceded) by what is measured.
_ASK_QTY = r"(?:多少|几|多大|多高|多长|多久|若干|何种标准)"
_TYPE_PATTERNS: list[tuple[str, re.Pattern]] = [
    # How long: 几年, 多少天, 多长时间, 期限是多久.
    (DURATION, re.compile(r"(?:多少|(?<!哪)几)(?:个)?(?:年|月|周|天|日|小时|工作日)(?!的|底|初|末)|多长时间|多久|多长(?:期限|时间)?"
                          r"|(?:期限|时限|年限|有效期|期间)(?:是|为)?(?:多少|多长|几)|how long|how many (?:years|months|days)")),
    # When: 什么时候, 何时, 哪年, 截止日期.
    (DATE, re.compile(r"什么时候|何时|哪一?年|哪几年|哪些年|起止(?:年份|时间)|哪一?天|几号|几月几[日号]|几月|(?:什么|哪个)(?:时间|日期)|(?:起|开始)?(?:施行|实施|生效)(?:日期|时间)"
                      r"|截止(?:日期|时间)?(?:是|为)?(?:什么|哪)|\bwhen\b|what date|which year")),
    # Share: 比例, 比重, 费率, 百分之几, 占…多少.
    (RATE, re.compile(r"(?:多少|几)倍|比例|比重|百分之|百分比|[费利税汇增][率]|(?:率|占比).{0,4}(?:多少|几)"
                      r"|占.{1,12}(?:多少|几成)|几成|percentage|\brate\b|share of|\bratio\b")),
    # Money: 多少钱, 补贴多少, 金额, 标准(是)多少 with a money word nearby.
    (AMOUNT, re.compile(r"多少钱|多少(?:万|亿|千)?元|金额|(?:补贴|补助|奖励|资助|津贴|奖补|贴息|补偿|罚款|收费|缴费|费用|工资|"
                        r"资金|经费|租金|价格|电价|单价|均价|售价|额度|上限|最高|标准|金|激励)(?:是|为|有)?(?:多少|几)|(?:多少|几)(?:万|亿)?(?:的)?[\u4e00-\u9fff]{0,6}?"
                        r"(?:补贴|补助|奖励|资助|资金|经费|罚款|费用|津贴|奖金|激励|费(?!率))|罚款.{0,6}(?:多少|几)|费(?:是|为|要|需要)?(?:多少|几)|how much|amount|subsid|prize|fine of")),
    # How many: 多少个/家/项, 几个, 数量.
    (COUNT, re.compile(r"(?:多少|(?<!哪)几)(?:个|家|项|名|人|所|座|条|批|户|次|处|台|套|支(?!持)|种|类|级|位|辆|件|期|部|款|例|发|颗|枚|架|份)|数量|how many")),
    # Who: 哪个部门, 由谁, 牵头单位, 负责.
    (WHO, re.compile(r"哪(?:个|些|一个|一些|家)?(?:部门|单位|机关|机构|主体)|由谁|谁(?:来)?(?:负责|牵头|主管|审批|发放|办理|组织|承担|制定|实施|统筹|推进|协调|监督|管理)"
                     r"|是谁|(?:牵头|责任|主管|实施|承办|受理|审批)(?:单位|部门|机关|机构)|(?:负责|牵头)(?:的?是?[？?。]?$)|(?:负责|牵头)[^，,。？?]{0,30}的(?:单位|部门|机关|机构)|\bwho\b|which (?:department|agency|body|unit)"
                     r"|responsib|lead unit")),
    # A quantity named by a noun that measures (产能, 产量, 规模, 总量) asked as a target or a size.
    (QUANTITY, re.compile(r"(?:产能|产量|总量|规模|人数|数目)(?:目标)?(?:是|为|有|达到|要达到)?(?:多少|多大|几|[？?]?$)")),
    # How to apply: 要交哪些材料, 准备啥资料, 怎么申报, 在哪个系统报, 申报流程.
    (PROCEDURE, re.compile(r"(?:哪些|什么|啥)(?:申请|申报)?(?:材料|资料|手续)|(?:准备|提交|提供|交)[^，,。？?]{0,4}(?:材料|资料)"
                           r"|(?:怎么|怎样|如何)(?:去)?(?:申报|申请|报名|办理|报价|排序|兑付|领取)"
                           r"|在哪(?:个|里|儿)?(?:系统|平台|网站)?(?:报|申报|申请|提交|交|办)"
                           r"|(?:申报|申请|办理)(?:流程|程序|方式|渠道|入口|途径)|网上.{0,3}(?:报|申请|办)"
                           r"|how (?:to|do i|can i) apply|what documents")),
    # Which things: 哪些, 包括什么, 有什么.
    (LIST, re.compile(r"哪些|哪几|哪[一二三四五六七八九十两]|包括(?:什么|哪)|有什么|有哪|列举|几大|\bwhich\b|what are|\blist\b")),
    # Whether: 是否, 能否, 可不可以, 有没有, …吗.
    (YESNO, re.compile(r"是否|能否|可否|可不可以|能不能|会不会|有没有|是不是|需不需要|要不要|(?<!什)[吗么][？?]?$|^(?:is|are|can|does|do|will|must) ")),
    # What is: 什么是, 是指什么, 含义, 定义.
    (DEFINITION, re.compile(r"什么是|是指什么|指的是什么|指什么|何谓|含义|定义|是什么意思|what is meant|definition")),
]


def answer_type(question: str) -> str:
    """The kind of fact a question asks for (one of the module's type names)."""
    q = normalize_question(question)
    for name, pattern in _TYPE_PATTERNS:
        if pattern.search(q):
            return name
    # A bare 多少/几 asks for a quantity of the thing named around it: any number will do.
    if re.search(_ASK_QTY, q):
        return QUANTITY
    return OTHER


_LIST_COUNT = re.compile(r"(?<![0-9零一二两三四五六七八九十])([0-9]{1,2}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
                         r"(?:大|个|项|类|种|方面|条|家|件)")


def listed_category(question: str) -> str | None:
    """What the counted items are called (六大未来产业领域 → 领域, 哪六大计划 → 计划), if said."""
    import jieba.posseg as pseg

    m = _LIST_COUNT.search(normalize_question(question))
    if not m:
        return None
    phrase = re.split(r"[，,。？?！!；;]|是|有|包括|组成|分别", normalize_question(question)[m.end():])[0]
    return _head(pseg.lcut(phrase.strip("”\"」")))


def listed_count(question: str) -> int | None:
    """How many items a question says the list has (哪六大计划, 10个领域, 五个产业), if it says."""
    m = _LIST_COUNT.search(normalize_question(question))
    if not m:
        return None
    return cn_to_int(m.group(1))


def enumerated(sentence: str) -> list[list[str]]:
    """The 、-separated lists of a sentence (“甲、乙、丙等”), each as its items."""
    out = []
    for part in re.split(r"[，,；;。：:]", sentence):
        if part.count("、") >= 1:
            # “甲、乙、丙等” and “甲、乙等10个基础条件好、潜力大的领域”: the list ends at 等.
            items = [i for i in re.split(r"、", re.sub(r"等(?=[0-9零一二两三四五六七八九十百]|[^、]*$).*$", "", part)) if i]
            out.append(items)
    return out


_VALUE_PATTERNS: dict[str, re.Pattern] = {
    AMOUNT: re.compile(rf"{_NUM}\s*{_MONEY_UNIT}|{_NUM}\s*(?:万|亿)(?=以上|以下|左右|内|/|每)"),
    RATE: re.compile(rf"{_NUM}\s*[%％‰]|百分之{_NUM}|{_NUM}成(?![为本立员果功])|{_NUM}\s*倍|千分之{_NUM}"),
    # A count may be in ten thousands (3.34万人, 1.2亿千瓦时).
    COUNT: re.compile(rf"{_NUM}\s*(?:余|多)?(?:万|亿)?(?:余|多)?(?:{_CLASSIFIER}|{_MEASURE})"),
    DURATION: re.compile(rf"{_NUM}\s*(?:个)?(?:年|个月|月|周|日|天|小时|工作日|自然日)(?:内|以上|以下|以内|起|后|期|为限)?|"
                         rf"(?:每年|每月|每季度|长期|永久|一次性)"),
    DATE: re.compile(rf"(?:19|20)[0-9]{{2}}\s*年|{_NUM}\s*月\s*{_NUM}\s*日|{_NUM}月(?:底|末|前|份)|年底|年末|年初|上半年|下半年|"
                     r"之日起|起施行|起实施|起执行|前完成"),
    # A unit doing what units are charged with (市财政局负责…, 推进组统筹…), a government body
    # acting or addressed (县科技局应当…, 由市科委…), or a note's label.
    WHO: re.compile(r"[\u4e00-\u9fff]{1,20}?" + alternation(UNIT_ENDINGS) + r"(?:[（(][^（()）]{1,20}[）)])?"
                    r"(?:负责|牵头|主管|会同|组织实施|审核|审批|受理|发放|办理|承担|核定|统筹|协调|督促)"
                    r"|[\u4e00-\u9fff]{1,20}?" + alternation(BODY_ENDINGS) + r"(?:[（(][^（()）]{1,20}[）)])?"
                    r"(?:组织|实施|制定|确定|指导|管理|监督|推进|落实|按|应当|可以|对|向|是|为)"
                    r"|(?:由|经|向|报)[\u4e00-\u9fff]{2,20}?" + alternation(BODY_ENDINGS) +
                    r"|(?:责任单位|牵头单位|主管部门|负责部门|配合单位)"),
    # How to apply, as a document says it: the materials, the system or place, the steps.
    PROCEDURE: re.compile(r"材料|资料|证明|申请表|申报书|提交|上传|填报|流程|程序|窗口"
                          r"|(?:登录|通过|进入)[^，。；]{0,12}(?:系统|平台|网站)|(?:系统|平台|网站)(?:申报|申请|提交|填报)"
                          r"|(?:向|到)[^，。；]{1,30}(?:申请|申报|提出|办理|报送)|报价|排序|出清"),
}


def value_pattern(kind: str) -> re.Pattern:
    """The pattern of a value of ``kind`` as documents state it (30万元, 15%, 3年…)."""
    return _VALUE_PATTERNS[kind]


def states_type(sentence: str, kind: str) -> bool:
    """Whether ``sentence`` states a value of kind ``kind``.

    Types without a value form (list, yes/no, definition, other) are stated by any sentence;
    the composer judges them by topic coverage alone.
    """
    if kind == QUANTITY:
        return any(states_type(sentence, k) for k in (AMOUNT, RATE, COUNT, DURATION))
    pattern = _VALUE_PATTERNS.get(kind)
    if pattern is None:
        return True
    if kind == WHO:
        # A unit read up to a word that only ends like one (面向未来产业布局) names no unit, nor
        # does a span after 由/向 that runs over a verb (向创新团队发榜新型研发机构).
        return any(not _NOT_BODY.search(m.group(0)) and not _over_a_verb(m.group(0))
                   for m in pattern.finditer(sentence))
    # Vague quantities (一批, 一系列) state no number.
    text = re.sub(r"一(?:批|些|系列|大批|揽子|流|体化)", "", sentence)
    if kind == DURATION:
        # 2030年 and 2026年1月1日起 are dates, not durations: drop dates first.
        text = re.sub(r"(?:19|20)[0-9]{2}\s*年(?:\s*[0-9]{1,2}\s*月(?:\s*[0-9]{1,2}\s*日)?)?"
                      r"|[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日", "", text)
    return bool(pattern.search(text))


#: A unit read up to a word that only ends like a body's name (面向未来产业布局), with the verb
#: that may follow it.
_NOT_BODY = re.compile(alternation(NOT_BODY_WORDS) + r"(?:[（(][^（()）]{1,20}[）)])?(?:[\u4e00-\u9fff]{1,4})?$")
#: Physical units a rate is stated per (元/千瓦时, 每吨): a total is no figure per such a unit.
_PHYSICAL = r"(?:千瓦时|兆瓦时|千瓦|兆瓦|度电|吨|立方米|平方米|㎡|亩|公顷|公里|千米)"
_PER = re.compile(rf"每(人|户|家|月|年|天|日|晚|次|周|季度|小时|{_PHYSICAL}|项|个|条|批|辆|床)")
_PER_PHYSICAL = re.compile(rf"(?:每|/|／)({_PHYSICAL})")


def _over_a_verb(span: str) -> bool:
    """Whether a unit read after 由/经/向/报 takes in a verb (发榜): then it is no unit's name."""
    if not re.match(r"[由经向报]", span) or not span.endswith(BODY_ENDINGS):
        return False  # a unit followed by what it does (由市科技局负责) is read by its verb
    import jieba.posseg as pseg

    return any(w.flag == "v" for w in pseg.lcut(span[1:]))


def same_basis(question: str, sentence: str) -> bool:
    """False when the question asks for a value per one unit (每晚) and the sentence states
    values only per other units (每人每月): then it states a different measure. A value asked
    per a physical unit (每千瓦时) is stated only by a sentence giving a figure per that unit
    (元/千瓦时, 每千瓦时): a total or a share is another figure."""
    physical = set(_PER_PHYSICAL.findall(question))
    if physical and not physical & set(_PER_PHYSICAL.findall(sentence)):
        return False
    asked = set(_PER.findall(question))
    stated = set(_PER.findall(sentence))
    return not asked or not stated or bool(asked & stated)


#: How often, not how long: 多久评估一次, 每隔多长时间, 几年一次.
_FREQUENCY = re.compile(r"(?:多久|多长时间|几年|几个月|多少天)[^，,。？?]{0,12}?一次|每隔(?:多久|多长|几)|频次|频率")
#: A period stated as how often (每两年, 每季度, 两年一次, 每年度).
FREQUENCY_VALUE = re.compile(rf"每隔?(?:{_NUM})?\s*(?:个)?(?:年度|年|半年|季度|个月|月|周|天|日)|"
                             rf"{_NUM}\s*(?:个)?(?:年|季度|月|周|天)(?:一次|一评|一审)")


def asks_frequency(question: str) -> bool:
    """Whether a question asks how often something is done (多久评估一次)."""
    return bool(_FREQUENCY.search(normalize_question(question)))


#: Words that count things of one sort (多少家企业, 几名专家): 个 counts anything, so it is not one.
_ASKED_CLASSIFIER = r"(?:家|户|名|人|位|项|所|座|条|批|次|处|台|套|辆|件|款|例|架|份)"
#: A unit of measure written right after the interrogative (多少岁, 几千瓦, 多少平方米).
_ASKED_UNIT = re.compile(rf"(?:多少|(?<!哪)几)(?:个)?(?:万|亿)?({_MEASURE}|{_ASKED_CLASSIFIER})")


#: How old a person must be: 多大 (以下/以上) of a person the question names, or 年龄 asked.
_ASKS_AGE = re.compile(r"(?:小孩|孩子|儿童|未成年|老人|老年人|学生|驾驶人|本人|申请人)[^，。？?]{0,12}多大"
                       r"|多大[^，。？?]{0,4}(?:以下|以上|的(?:小孩|孩子|儿童|人))|年龄(?:是|为|要求|限制|上限|下限)?(?:多少|多大|几)")


def asked_unit(question: str) -> str | None:
    """The unit of measure a question asks its number in (超过多少岁 → 岁, 多少千瓦 → 千瓦;
    多大 or 年龄 of a person → 岁): a figure in another unit (5个工作日) is not the asked
    number. None when it names none."""
    text = normalize_question(question)
    m = _ASKED_UNIT.search(text)
    if m:
        return m.group(1)
    if _ASKS_AGE.search(text):
        return "岁"
    return None


#: Units written more than one way (平方米, ㎡, m2): a figure in one is a figure in the others.
_SAME_UNIT = [("平方米", "㎡", "m2", "平米"), ("千瓦时", "度"), ("岁", "周岁"), ("公里", "千米"),
              ("平方公里", "平方千米"), ("家", "户"), ("名", "人", "位")]


def in_unit(value: str, unit: str) -> bool:
    """Whether ``value`` (a stated figure, 60周岁, 30㎡) is given in ``unit`` (岁, 平方米)."""
    forms = next((f for f in _SAME_UNIT if unit in f), (unit,))
    return any(f in value for f in forms)


#: A year as a text states it (2027 in 2027年).
YEAR = re.compile(r"(?:19|20)\d{2}(?=\s*年)")

#: Types whose answer is a number stated of some thing (the asked attribute).
NUMBER_TYPES = {AMOUNT, RATE, COUNT, DURATION, QUANTITY}
#: Types whose answer is a value a sentence must state.
VALUE_TYPES = {AMOUNT, RATE, COUNT, DURATION, DATE, WHO, QUANTITY}

#: Words that make up the request for a type rather than its topic (多少, 比例, 几年…); they do
#: not count as the question's key terms.
TYPE_WORDS = re.compile(
    r"^(?:多少|几|多|比例|比重|百分比|金额|数量|标准|时间|日期|期限|年限|时候|何时|哪年|单位|部门|机关|机构|负责|牵头|"
    r"是否|能否|可以|什么|哪些|哪个|包括|目标|规定|要求|分别|具体|一般|多长|多久|最高|最多|最少|上限|下限|额度|"
    r"年|月|日|天|元|万元|个|家|项|名|次|一次|每次|提出|明确|政策|措施|文件|这份|这个|这项|这些|该|此|本|其|"
    r"组成|构成|包含|涵盖|总额|合计|总数|总量|规模|幅度|每年|每月|每次|"
    # Pointing words of speech (那块, 这次): they point at the topic, they are not it.
    r"这块|那块|这次|那次|这里|那里|这边|那边|这个|那个|这方面|那方面)$"
)
#: A count the question gives for its list (六大, 10个, 五项): checked against the list's length,
#: not looked for as a topic word.
_COUNT_WORD = re.compile(r"^[0-9零一二两三四五六七八九十百]+(?:大|个|项|类|种|方面|条|家|件|批)?$")

#: Interrogatives and their fragments as jieba cuts them (哪几个, 多少钱): never a topic.
INTERROGATIVE = re.compile("^" + alternation(INTERROGATIVES))
#: An interrogative anywhere in a phrase (that phrase asks something).
INTERROGATIVE_ANYWHERE = re.compile(alternation((*INTERROGATIVE_WORDS, "有没有", "吗", "么", "呢")) + "|\\b(?:how|what|when|who|which|whether)\\b")


#: Phrases that ask, compare or point (哪一年, 多少个, 有何不同, 分别, 这份) rather than name a topic.
_ASKING = re.compile(
    r"哪[一几]?[个些年天种类项家位份条]?|(?:多少|几)[个家项名人年月天万亿元倍次]?|什么时候|什么|何时|何种|是否|能否|可否|"
    r"有何|如何|怎么样|怎么|怎样|有没有|是不是|分别|各自|有什么|不同|区别|异同|差异|相比|比较|对比|两份|两地|这份|该份|"
    r"共同|重合|重叠|交集|相同|共有|"
    # Verbs by which a document speaks of something, whatever it says (提到氢能了吗).
    r"提到|提及|谈到|谈及|讲到|说到|写到|表述|提法")


def topic_text(question: str) -> str:
    """The question without its asking and comparing phrases: what is left names the topic."""
    return _ASKING.sub(" ", question)


def is_topic_term(term: str) -> bool:
    """Whether a question term can name its topic: two characters or more (or Latin/digits),
    not an interrogative and not a word that asks for the answer type."""
    if _COUNT_WORD.match(term):
        return False
    if term.isascii():
        return len(term) >= 2
    if all(ch in _NOT_TOPIC_CHARS for ch in term):
        return False  # a run of function characters jieba kept together (内要, 能去)
    return len(term) >= 2 and not INTERROGATIVE.match(term) and not TYPE_WORDS.match(term)


#: Characters that only relate or modalise (的, 要, 能, 内): a term made of them alone names nothing.
_NOT_TOPIC_CHARS = FUNCTION_CHARS | frozenset("要能会可应需得内外去来吗呢吧啊")


# --- places, documents, comparison ---------------------------------------------------------------

_COMPARE = re.compile(r"区别|不同|异同|分别|比较|相比|对比|两份|两地|各自|各有|哪个更|谁更|一样吗|相同|差异|compare|differ|versus|\bvs\b")
#: Asking what named places or documents share (“甲和乙都提到的…”, “哪些也出现在…”, 重合).
_COMMON = re.compile(r"共同|重合|重叠|交集|共有|也(?:出现|提到|提及|列|在|有|包括|涉及|支持|布局|是)|相同|一致|"
                     r"in common|both")
#: What 都 asks when it only sums up one side's list (都有哪些, 都是什么).
_ALL_OF = re.compile(r"^(?:是什么|是哪些|有哪些|有什么|有多少|包括哪些|包括什么)")
#: A document called by its kind after the place or name it belongs to (浙江的实施意见, 成都这份意见).
DOC_KIND = re.compile(rf"^(?:的|这份|那份|该份?)?(?P<kind>{alternation(DOC_KINDS)})")
_QUOTED = quoted(QUOTED_NAME_MAX)
#: Words that join names side by side (甲和乙, 甲、乙, 甲跟乙).
JOINING = alternation((*AND_WORDS, *WITH_WORDS, LIST_MARK))
_AND = alternation((*AND_WORDS, LIST_MARK))


def named_titles(question: str) -> list[str]:
    """Document names the question gives in 《…》 or quotes, normalised."""
    names = [normalize(t) for t in BOOK_TITLE.findall(question)]
    names += [normalize(t) for t in _QUOTED.findall(question)]
    return [n for n in names if n]


def is_comparison(question: str) -> bool:
    """Whether the question compares places or documents (区别, 相比, 分别…)."""
    return bool(_COMPARE.search(normalize_question(question)))


#: Asking which side has more or less (谁的目标更多, 哪个更早): a comparison when sides are named.
_WEIGHING = re.compile(r"(?:谁|哪[个份方家边]|哪一[个份方])(?:的)?[^，,。？?]{0,16}?更(?:多|少|高|低|大|小|早|晚|长|短|强|快)")


def asks_common(question: str) -> bool:
    """Whether the question asks what its places or documents share (都提到, 共同, 重合…).

    On its own (“遂昌都有哪些…”) such a word compares nothing: it counts only when the question
    names two sides joined together.
    """
    text = normalize_question(question)
    if _COMMON.search(text):
        return True
    # 都 as a word of its own (not in 成都, 首都), not summing up a list (都有哪些).
    at = 0
    for word in _words(text):
        at = text.find(word, at) + len(word)
        if word == "都" and not _ALL_OF.match(text[at:]):
            return True
    return False


@dataclass
class QuestionAnalysis:
    """Everything the composers read from a question before looking at the clauses."""

    question: str
    kind: str
    places: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    compare: bool = False
    #: Whether it asks what the sides share (see :func:`asks_common`).
    common: bool = False
    #: Whether it asks which side has more (谁的…更多): named sides are answered side by side.
    weighs: bool = False
    #: The place words as written (杭州市): their fragments (州市) are not topic terms either.
    place_words: list[str] = field(default_factory=list)
    #: What qualifies a named document (《…》（二次征求意见稿）): part of its name, not the topic.
    qualifiers: list[str] = field(default_factory=list)
    #: The limits the asker set (documents, level, status): every clause an answer quotes,
    #: including those asked for again within a scope, must pass them.
    filters: Filters | None = None
    #: Set when the question asks which documents speak of something (哪些文件提到了合成生物):
    #: that thing, as written (合成生物). The answer is then a list of documents.
    which_docs: str | None = None


def analyse(question: str) -> QuestionAnalysis:
    """The answer type, places, document names, years and comparison of a question."""
    return QuestionAnalysis(
        question=question,
        kind=answer_type(question),
        places=places(question),
        titles=named_titles(question),
        years=YEAR.findall(normalize_question(question)),
        compare=is_comparison(question),
        common=asks_common(question),
        weighs=bool(_WEIGHING.search(normalize_question(question))),
        place_words=place_words(question),
        qualifiers=[normalize(x) for x in re.findall(r"》\s*[（(]([^）)]{1,20})[）)]", question)],
        which_docs=documents_topic(question),
    )


def replace_places(previous: str, new: list[str]) -> str | None:
    """``previous`` with its places replaced by ``new`` (the follow-up's places), or None.

    Every old place is dropped: the first takes the first new place, further old places are
    removed (or take further new places), so “浙江和杭州…” followed by “那成都呢？” becomes a
    question about 成都 alone.
    """
    old = place_words(previous)
    if not old or not new:
        return None
    out = previous
    for i, word in enumerate(dict.fromkeys(old)):
        # A dropped place leaves a mark, so that the word joining it to the others goes too.
        out = out.replace(word, new[i] if i < len(new) else "\0")
    out = re.sub(rf"{JOINING}?\0{JOINING}?", "", out)
    # Left at the start or before 的: only the conjunctions that are words of their own (同 in
    # 不同 is not one).
    out = re.sub(rf"^{_AND}+|{_AND}+(?=[的，,？?])", "", out)
    return out if out != previous else None


def without_names(question: str, names: list[str]) -> str:
    """``question`` without the places or document names in ``names`` and the joining word
    beside each (和, 与, 及, 、, 跟, 同): one side of a comparison asked on its own."""
    out = question
    for name in sorted(set(names), key=len, reverse=True):
        if not name:
            continue
        out = re.sub(rf"{JOINING}?{re.escape(name)}{JOINING}?", "", out, count=1)
    return out


#: Where a question names the area it asks about: 在X上/方面/中, 对X的, 关于X的 (a 在 inside a
#: word such as 存在, 现在, 所在 is not one).
_FRAME = re.compile(r"(?:(?<![存现所实正内外自])在|对|关于|围绕)(?P<t>[\u4e00-\u9fffA-Za-z0-9+＋]{2,16}?)"
                    r"(?=上|方面|领域|中|里|的|各|分别|有|怎么|如何|是|都)")


#: The same after a possessive: 成都的X分别…, 两地的X有何不同.
_FRAME_OF = re.compile(r"的(?P<t>[\u4e00-\u9fffA-Za-z0-9+＋]{2,12}?)(?=分别|各自|各有|有何|有什么|有哪些|由|是什么)")


def framed_topic(question: str, names: list[str] | tuple[str, ...] = ()) -> str | None:
    """The area a question asks about, as written (“成都在低空经济上的布局…” → 低空经济), when
    its structure names one; None otherwise. Document names (《…》, “…”, and ``names``: how
    the question calls a document, 实施意见 in 浙江的实施意见) are not topics."""
    text = ANY_NAME.sub("　", question)
    for pattern in (_FRAME, _FRAME_OF):
        for m in pattern.finditer(text):
            topic = m.group("t")
            if not any(n and n in normalize(topic) for n in names):
                return topic
    return None


# --- the asked attribute -------------------------------------------------------------------------

#: An interrogative asking for a number (多少, 几个, 多长…).
_ASK_NUMBER = re.compile(r"多少|(?<![哪])几(?=[个年月天日周家项名人万千百十次倍成条批所座岁])|多高|多长|多大|多久|百分之几")
#: What may follow the interrogative before the thing measured (多少万元的补贴, 几年的租金).
_AFTER_UNIT = re.compile(r"^(?:个|万|亿|千|百)?(?:元|钱|年|个月|月|天|日|周|家|项|名|人|次|倍|成|条|批|所|座|岁)?(?:的)?")
#: Verbs and qualifiers between the measured thing and the interrogative (补贴最高是多少).
_BEFORE_VERB = re.compile(r"(?:是|为|有|要|能|可以|可|最高|最多|最少|至少|最长|最短|一共|共|总共|分别|达到|不超过|不低于|不少于|不多于|"
                          r"给予|定为|设定|设为|了|将|应|需|需要|都|各|每[\u4e00-\u9fff]|"
                          r"领取|申领|领|拿到|拿|获得|得到|享受|发放|发|给|罚)+$")


def asking_verbs(question: str) -> str:
    """The verbs and qualifiers right before each interrogative of number (要达到多少, 最高是
    多少): they ask for the number, and a sentence stating it need not repeat them."""
    text = normalize_question(question)
    out = []
    for m in _ASK_NUMBER.finditer(text):
        verbs = _BEFORE_VERB.search(text[:m.start()])
        if verbs:
            out.append(verbs.group(0))
    return " ".join(out)


def asked_attribute(question: str) -> str | None:
    """The thing a number is asked of: the noun the question attaches 多少/几 to.

    “担保费率是多少” → 费率, “罚款金额是多少” → 罚款, “免几年租金” → 租金, “要培育多少个未来
    产业先导区” → 先导区, “增加值的目标是多少” → 增加值. A sentence that states a number for
    another thing (an interest rate when a guarantee fee rate is asked) does not answer it.
    None when the question names no such noun (“每年立几个项”).
    """
    found = asked_parts(question)
    return found[0][0] if found else None


def asked_parts(question: str) -> list[tuple[str, str]]:
    """(attribute, its phrase) for every number a question asks for, in order: “建成多少个
    联合体、打造多少家技术中心” asks two, “多少家高新技术企业、多少家生态主导型企业” two of one
    head told apart by their phrases; each needs its own sentence."""
    import jieba.posseg as pseg

    text = normalize_question(question)
    asks = list(_ASK_NUMBER.finditer(text))
    out: list[tuple[str, str]] = []
    for i, m in enumerate(asks):
        end = asks[i + 1].start() if i + 1 < len(asks) else len(text)
        after = re.split(rf"[，,。？?！!；;、]|{alternation(AND_WORDS)}", text[m.end():end])[0]
        after = after[_AFTER_UNIT.match(after).end():]
        head, phrase = _head(pseg.lcut(after)), after
        if not head:
            # The phrase before, from the previous part on; a type word there (目标, 金额) points
            # further back.
            start = asks[i - 1].end() if i else 0
            before = _BEFORE_VERB.sub("", text[start:m.start()])
            for segment in reversed(re.split(r"[的对按在，,、和与及。？?！!；;]", before)):
                words = pseg.lcut(segment)
                head, phrase = _head(words), segment
                if head or (segment and not any(TYPE_WORDS.match(w.word) for w in words)):
                    break
        # A place is where the number is asked, never what it is of (松江G60给多少).
        if head and any(head in w or w in head for w in place_words(text)):
            head = None
        if head and (head, phrase) not in out:
            out.append((head, phrase))
    return out


#: jieba's tags of words that can head a noun phrase (nouns, verbal nouns, abbreviations).
_NOUN_TAGS = re.compile(r"^(?:n[a-z]*|vn|an|j|eng)$")


def phrase_head(phrase: str) -> str | None:
    """The thing a phrase is about: its last topic noun (是否给予租金减免 → 减免)."""
    import jieba.posseg as pseg

    text = re.sub(r"是否|能否|可否|有没有|是不是|[吗么呢][？?]?$", " ", normalize_question(phrase))
    return _head(pseg.lcut(text))


def _head(words) -> str | None:
    """The last topic noun of a phrase (Chinese noun phrases end in their head), with a
    trailing one-character noun joined to it (先导 区 → 先导区)."""
    words = [w for w in words if w.word.strip()]
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        # A word for money granted heads its phrase however jieba tags it (补助 as a verb).
        if (_NOUN_TAGS.match(w.flag) or w.word in GRANT_WORDS) and is_topic_term(w.word) and not w.word.isascii():
            tail = words[i + 1].word if i + 1 < len(words) else ""
            return w.word + tail if len(tail) == 1 and _NOUN_TAGS.match(words[i + 1].flag) else w.word
    return None


def conjuncts(question: str) -> list[str]:
    """The coordinated things a question asks about together (“对甲和乙分别提了什么目标” →
    [甲, 乙]; “甲、乙、丙占比分别是多少” → three): each needs a quoted sentence of its own.
    Empty when the question coordinates nothing."""
    for segment in re.split(r"[，,。？?！!；;]", topic_text(question)):
        pieces = re.split(_AND, segment)
        if len(pieces) < 2:
            continue
        # The first conjunct starts after the last preposition or 的 before it; the last ends
        # at the first 的 or verb after it.
        pieces[0] = re.split(r"[对在的把将给为]", pieces[0])[-1]
        pieces[-1] = re.split(r"的|分别|各自|各|是|有|占|要|为|提|定|设", pieces[-1])[0]
        out = [p.strip() for p in pieces if any(is_topic_term(w) for w in _words(p))]
        if len(out) >= 2:
            return out
    return []


def _words(text: str) -> list[str]:
    return [w for w in jieba_loaded().lcut(text) if w.strip()]
