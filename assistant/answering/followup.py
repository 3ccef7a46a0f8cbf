"""Follow-up questions (“那杭州呢？”, “牵头单位是谁？”) made standalone from the conversation.

A rule-based rewrite that needs no language model: a follow-up that names a new place takes
the previous question with the new place in and every old place out (“那成都呢？” after a
question about 浙江 asks about 成都 alone); one that names nothing keeps the previous question
as its context. Places are read by :mod:`assistant.answering.questions`, as the composers read them.
"""

from __future__ import annotations

import re

from ..language.lexicon import DOC_KINDS, alternation
from ..language.places import place_words, places
from ..language.segment import jieba_loaded
from . import questions

_FOLLOWUP_START = re.compile(r"^(那么|那(?![个些条项份])|它|其|还有|另外|以及|换个地方问[：:]?|and |what about|how about)", re.I)
_FOLLOWUP_END = re.compile(r"(呢|吗)[？?]?$")


def last_user_question(history: list[dict] | None) -> str | None:
    """The latest user turn of a conversation, if any."""
    for turn in reversed(history or []):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"]).strip()
    return None


def is_followup(question: str) -> bool:
    """Whether a question leans on the previous turn (short, or 那…/…呢 phrasing)."""
    q = question.strip()
    return len(q) <= 12 or bool(_FOLLOWUP_START.search(q)) or bool(_FOLLOWUP_END.search(q) and len(q) <= 20)


#: Where a question starts asking (由哪些单位负责, 是多少, 有什么): what comes before is its subject.
_ASKING_START = re.compile(r"(?:由|是|有|要|为|在|的)?(?:哪|谁|多少|几[个年项家月天条]|什么|怎么|怎样|如何|是否|能否|有没有|何|啥|咋)")


def rewrite(question: str, history: list[dict] | None) -> str:
    """A standalone form of ``question`` given the conversation ``history``.

    The previous question is itself made standalone first (“那杭州呢？” after “那成都呢？”
    stands for the question before both). A follow-up naming a new place takes the previous
    question with the place swapped; one naming nothing asks its own question about the
    conversation's subject (the part of the question it follows before that one asks:
    “遂昌加速创新成果转化应用”), so that what it asks, not what the previous question
    asked, decides the answer's type.
    """
    return _standalone(question, list(history or []))[0]


def own_words(question: str, history: list[dict] | None) -> str:
    """What a follow-up says of its own (“那大型甘蔗收获机呢？” → 大型甘蔗收获机): among the
    answers to its standalone form, the one on these words is the one it asks for. The
    whole question when it is no follow-up."""
    if _last_user_index(list(history or [])) is None or not is_followup(question):
        return question
    return " ".join(_own_words(question))


def _standalone(question: str, turns: list[dict]) -> tuple[str, str, str]:
    """(the question made standalone, its subject: the part before it asks, what it asks)."""
    last = _last_user_index(turns)
    if last is None or not is_followup(question):
        return question, _subject(question), _asking(question)
    previous, subject, asking = _standalone(str(turns[last]["content"]).strip(), turns[:last])
    new_places = places(question)
    own = _own_words(question)
    asks = bool(_asking(question)) or questions.answer_type(question) != questions.OTHER
    # A follow-up that names a document of its own (北斗那个三年计划, 四川的新能源电价方案)
    # is about that document: the previous subject stays behind.
    new_document = bool(own) and bool(_DOC_KIND.search(_subject(question) or question))
    if new_places and own and asks:
        # Another place with a question of its own: it stands alone.
        return _FOLLOWUP_START.sub("", question.strip()).strip(), _subject(question), _asking(question)
    if new_places and not own and not asks:
        # Another place, the same question (那成都呢？).
        rewritten = questions.replace_places(previous, new_places)
        if rewritten:
            return rewritten, _subject(rewritten), _asking(rewritten)
    bare = _FOLLOWUP_START.sub("", question.strip()).strip()
    bare = _FOLLOWUP_END.sub("", bare).strip() or bare
    if not asks and own:
        if new_places or new_document:
            # Another place's own thing, asked as before (重庆那个商用车的政策呢？ … 什么时候到期).
            return f"{bare}{asking}", bare, asking
        # Another thing of the same kind, asked as before (那大型甘蔗收获机呢？ after 烘干机…多少):
        # it takes the place of the thing it stands beside.
        swapped = _swapped(subject, bare)
        if swapped:
            return f"{swapped}{asking}", swapped, asking
        # Another thing of the same subject (那补贴标准呢？): asked together with it.
        return f"{bare}，{subject}{asking}", f"{bare}，{subject}", asking
    if len(subject) < 2:
        return f"{previous} {question}", subject, asking
    # “那2024年春节呢？这次拨了多少”: another thing of the subject's kind first, then the question.
    named = _NAMED_FIRST.match(question.strip())
    swapped = _swapped(subject, named.group(1).strip()) if named else None
    if swapped:
        rest = question.strip()[named.end():].strip()
        return f"{swapped}，{rest}", swapped, _asking(rest)
    return f"{subject}，{bare}", subject, _asking(bare)


#: A word that names a kind of document (…措施, …方案, …办法).
_DOC_KIND = re.compile(alternation((*DOC_KINDS, "措施", "政策")))
#: Words of a follow-up that point back (这条, 那个, 它) or only name a kind of document.
_POINTING = re.compile(r"^(?:这|那|该|此|它|其|上述|上面|刚才|这个|那个|这条|那条|这项|这些|那些|这份|那份|"
                       r"政策|措施|文件|规定|方案|计划|办法|通知|意见|条|项|个)$")


def _own_words(question: str) -> list[str]:
    """The follow-up's own topic words: not its places, not words that point back, not what
    it asks."""
    text = question
    asked = _ASKING_START.search(text)
    if asked:
        text = text[:asked.start()]
    words = [w for w in jieba_loaded().lcut(text) if w.strip() and questions.is_topic_term(w)]
    named = set(place_words(question))
    return [w for w in words if w not in named and not _POINTING.match(w)
            and not any(w in p or p in w for p in named)]


#: A follow-up that first names another thing (那2024年春节呢？…) and then asks.
_NAMED_FIRST = re.compile(r"^(?:那么|那)?([^，,。？?]{2,20}?)呢[？?，,]\s*(?=\S)")
#: jieba's tags of the words a noun phrase is made of (存量 新能源 项目).
_NOUNISH = re.compile(r"^(?:n[a-z]*|vn|an|j|eng|b|nz|l)$")


def _swapped(subject: str, new: str) -> str | None:
    """``subject`` with ``new`` in place of the thing of its kind (烘干机 for 大型甘蔗收获机, 存量新能源
    项目 for 增量项目, 2023年春节 for 2024年春节), or None when it holds none: a thing of the same
    kind ends in the same character (机, 项目) and is another word."""
    import jieba.posseg as pseg

    years = questions.YEAR.findall(new)
    if years:
        rest = questions.YEAR.sub("", new).lstrip("年的").strip()
        old_years = questions.YEAR.findall(subject)
        if old_years and set(old_years) != set(years) and (not rest or rest in subject):
            return questions.YEAR.sub(years[0], subject, count=1)
        return None
    words = [(w.word, w.flag) for w in pseg.lcut(new) if w.word.strip()]
    if not words or not _NOUNISH.match(words[-1][1]):
        return None
    head = words[-1][0]
    tokens = [(w.word, w.flag) for w in pseg.lcut(subject)]
    named = set(place_words(subject))
    for i, (word, _) in enumerate(tokens):
        if len(word) < 2 or word[-1] != head[-1] or (word in new and word != head):
            continue
        start = i
        while start > 0 and _NOUNISH.match(tokens[start - 1][1]) \
                and not any(tokens[start - 1][0] in p or p in tokens[start - 1][0] for p in named):
            start -= 1
        if word == head and (start == i or len(words) < 2):
            continue  # the same word with no other modifier to replace (那补贴呢？)
        at = sum(len(w) for w, _ in tokens[:start])
        end = sum(len(w) for w, _ in tokens[:i + 1])
        return subject[:at] + new + subject[end:]
    return None


def _subject(question: str) -> str:
    """What a question asks about: the part before :func:`_asking`."""
    asking = _asking(question)
    return question[:len(question) - len(asking)] if asking else ""


def _asking(question: str) -> str:
    """What a question asks: from its asking word to the end (多少？, 由哪些单位负责？), with
    what it asks of the document it names (若干措施有效期到哪天 → 有效期到哪天)."""
    asked = _ASKING_START.search(question)
    if not asked:
        return ""
    kinds = list(_DOC_KIND.finditer(question, 0, asked.start()))
    start = kinds[-1].end() if kinds else asked.start()
    return question[start:]


def _last_user_index(turns: list[dict]) -> int | None:
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].get("role") == "user" and str(turns[i].get("content", "")).strip():
            return i
    return None
