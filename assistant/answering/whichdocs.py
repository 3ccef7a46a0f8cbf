"""Questions whose answer is a set of documents (哪些文件提到了合成生物？): their form and topic.

Read by grammar alone: 哪些/哪份/哪几份… with a document noun and a verb of mentioning, the
other order (提到…的文件有哪些), the topic first (…在哪些文件中出现), and English “which
documents mention …”. :mod:`assistant.answering.mentions` answers them; :func:`documents_topic` is part of
the question analysis of :mod:`assistant.answering.questions`.
"""

from __future__ import annotations

import re

from ..language.lexicon import DOC_LEVELS, DOC_NOUNS, INTERROGATIVE_WORDS, alternation
from ..language.places import place_words
from ..language.segment import jieba_loaded
from ..language.text import normalize_question

#: “Which one(s)”: 哪些, 哪份, 哪几份, 哪一个, 哪部, 哪项…
_WHICH = r"哪(?:一|几)?(?:些|份|个|部|项|篇|件)"
#: What policy documents are called.
_DOC_NOUN = rf"(?:(?:政策|规范性|指导性)?{alternation(DOC_NOUNS)})"
#: Nouns that name documents or what they contain: “哪些政策涉及低空经济” asks for documents,
#: “哪些政策支持人才引进” for measures. With these only a verb of mentioning asks which documents;
#: 措施 always means measures and is left out.
_CONTENT_NOUN = r"(?:政策|规定)"
_ANY_DOC_NOUN = rf"(?:{_DOC_NOUN}|{_CONTENT_NOUN})"
#: Words that qualify the documents asked about (哪些省级文件, 哪几份正式印发的文件).
_DOC_QUALIFIER = (rf"(?:{alternation(DOC_LEVELS)}|国家|地方|正式(?:印发的?)?|现行的?|有效的?|相关的?|已(?:收录|印发|发布)的?|"
                  r"收录的|现有的?|政策性?|规范性|指导性|实施|行动|工作|专项|配套|征求意见稿?的?|草案)")
#: Adverbs between the documents and the verb (哪些文件里都有提到…).
_DOC_ADVERB = r"(?:里面|里|当中|之中|中|内|都|还|也|曾经?|均|已经?|专门|明确|正式|具体|同时|分别|各自|又|会)"
#: Verbs by which a text speaks of something, whatever it says of it.
_SPEAK_VERB = r"(?:提到|提及|提起|谈到|谈及|讲到|说到|写到|写有|写入|涉及|包含|含有|载有|载明|出现|引用|援引|有关于)"
#: Those and the verbs by which a document sets something out; 有 and the frames 对/关于/针对/围绕.
_MENTION_VERB = (rf"(?:{_SPEAK_VERB}|包括|提出|规定|部署|布局|关注|聚焦|明确|鼓励|要求|支持|有|对于|对|关于|针对|围绕)")
#: A topic runs to the end of its clause of the question.
_TOPIC_CHARS = r"[^。？?！!；;，,]"
_TOPIC = rf"(?P<topic>{_TOPIC_CHARS}+)"
_WHICH_DOCS = [
    # 哪些文件提到了合成生物, 成都哪几份政策文件里都有提到氢能, 哪份文件提出要建设概念验证中心.
    re.compile(rf"{_WHICH}{_DOC_QUALIFIER}{{0,3}}{_DOC_NOUN}{_DOC_ADVERB}{{0,3}}{_MENTION_VERB}{_TOPIC}"),
    # 哪些政策涉及低空经济 (but not 哪些政策支持人才引进).
    re.compile(rf"{_WHICH}{_DOC_QUALIFIER}{{0,3}}{_CONTENT_NOUN}{_DOC_ADVERB}{{0,3}}{_SPEAK_VERB}{_TOPIC}"),
    # 提到合成生物的文件有哪些, 提出要建设概念验证中心的是哪份文件. Only 文件/文档 before 有哪些:
    # in “支持人才的政策有哪些” 政策 means measures, not documents.
    re.compile(rf"{_MENTION_VERB}(?:了|过)?{_TOPIC}的(?:{_DOC_QUALIFIER}{{0,3}}(?:文件|文档|公文)"
               rf"(?:都|还|分别|一共|共)?(?:有|是|为|包括)(?:{_WHICH}|几份|几个|多少份)"
               rf"|是{_WHICH}{_DOC_QUALIFIER}{{0,3}}{_ANY_DOC_NOUN})"),
    # 合成生物在哪些文件中出现过, 合成生物出现在哪些文件里.
    re.compile(rf"^(?P<topic>{_TOPIC_CHARS}+?)?(?:出现|被提到|被提及|被写入|写入)?在{_WHICH}{_DOC_QUALIFIER}{{0,3}}"
               rf"{_ANY_DOC_NOUN}{_DOC_ADVERB}{{0,3}}(?:有所|有|被)?(?:提到|提及|出现|涉及|写到|体现)?(?:过|了)?"
               r"[。？?！!]*$"),
]
_EN_SPEAK = (r"(?:mention(?:s|ed)?|discuss(?:es)?|covers?|refers?\s+to|address(?:es)?|talks?\s+about|contains?|"
             r"deals?\s+with|says?\s+anything\s+about|speaks?\s+(?:of|about)|touch(?:es)?\s+on)")
_WHICH_DOCS_EN = [
    re.compile(r"\b(?:which|what)\s+(?:of\s+the\s+)?(?:[a-z'-]+\s+){0,2}?(?:documents?|files?|plans?|notices?|"
               r"opinions?)\s+(?:[a-z'-]+\s+){0,3}?(?:" + _EN_SPEAK + r"|includes?|propos(?:e|es)|supports?)"
               r"\s+(?P<topic>.+)$"),
    # “Which policies support startups?” asks for measures; “which policies mention …” for documents.
    re.compile(r"\b(?:which|what)\s+(?:of\s+the\s+)?(?:[a-z'-]+\s+){0,2}?(?:policies|policy|regulations?)\s+"
               r"(?:[a-z'-]+\s+){0,3}?" + _EN_SPEAK + r"\s+(?P<topic>.+)$"),
]
#: Words around a topic that belong to the asking (了, 要, 关于…的内容), stripped from its ends.
_TOPIC_LEAD_WORDS = {"了", "过", "到", "要", "将", "需要", "应", "应当", "有关", "关于", "对", "对于", "针对",
                     "围绕", "有", "都", "还", "也", "明确", "专门", "的", "提到", "提及", "涉及", "包含", "包括",
                     "含有", "提出", "所"}
#: An interrogative inside the topic: the question asks the documents something more.
_ASKS_MORE = re.compile(alternation(INTERROGATIVE_WORDS) + r"|\b(?:how|what|when|who|whether)\b")
_TOPIC_TAIL = re.compile(r"(?:(?:作|做)(?:了|出)?(?:部署|规定|安排|要求)|有所?(?:提及|涉及|规定|部署|安排|要求|体现)|"
                         r"(?:的|之)?(?:相关|有关)?(?:内容|规定|表述|条款|条文|论述|说法|描述|部署|安排|事项|政策|措施)|"
                         r"方面|这(?:个|件|一)?(?:事|事情|话题|主题)|吗|呢|吧|的|等)$")


def documents_topic(question: str) -> str | None:
    """What a question asks the documents about when the answer it wants is a set of
    documents (“哪些文件提到了合成生物？” → 合成生物, “Which documents mention hydrogen
    energy?” → hydrogen energy), or None when it does not ask which documents.

    Read from the question's structure: a which-word with a document noun and a verb of
    mentioning (哪些/哪份/哪几份… + 文件/政策/规定/方案… + 提到/涉及/提出/有…), the same in the
    other order (提到…的文件有哪些), or the topic first (…在哪些文件中出现). The places the
    question names and the asking words around the topic are not part of it.
    """
    text = normalize_question(question)
    for pattern in _WHICH_DOCS:
        for m in pattern.finditer(text):
            topic = _clean_topic(m.group("topic") or "", question)
            if topic:
                return topic
    for pattern in _WHICH_DOCS_EN:
        m = pattern.search(text)
        # An English question keeps what follows the topic: the Chinese terms the assistant
        # added for it (“…hydrogen energy?（氢能）”).
        topic = _clean_topic(re.sub(r"[?？.!]", " ", m.group("topic")), question) if m else None
        if topic:
            return topic
    return None


def _clean_topic(topic: str, question: str) -> str | None:
    """The topic without the places the question names and the asking words at its ends."""
    for word in sorted(set(place_words(question)), key=len, reverse=True):
        topic = topic.replace(word.lower(), " ")
    words = jieba_loaded().lcut(topic)  # the tokens join back to the text, spaces included
    while words and (not words[0].strip() or words[0] in _TOPIC_LEAD_WORDS):
        words.pop(0)
    topic = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", "".join(words)).strip()
    while True:
        shorter = _TOPIC_TAIL.sub("", topic).strip()
        if shorter == topic:
            break
        topic = shorter
    topic = re.sub(r"\s+", " ", re.sub(r"[（(]\s*[）)]", "", topic)).replace(" )", ")").strip("“”\"「」『』 ")
    if _ASKS_MORE.search(topic):
        # “哪份文件规定了补贴标准是多少” asks for a value too: the ordinary answer quotes it.
        return None
    if re.search(r"[\u4e00-\u9fff]|[a-z0-9]{2,}", topic):
        return topic
    return None


