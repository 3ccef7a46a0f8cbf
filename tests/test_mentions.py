"""“Which documents” questions: read from the question's structure, answered as a list of every
document that speaks of the topic, one cited clause each, within the place and the filters."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answering import questions as q
from assistant.answering.citations import check_markers, markers_in
from assistant.answering.llm import LLMComposer, load_prompts
from assistant.language.text import normalize
from assistant.types import REFUSAL_PREFIX, Answer, Filters

CHENGDU = "chengdu-2024-future-industries-opinions"
HANGZHOU = "hangzhou-action-plan-2024-2026-drafting-notes"
SUICHANG = "suichang-2024-future-industries-opinions"
ZJ_OPINIONS = "zhejiang-future-industries-opinions-draft2"
SPARK = "zhejiang-spark-plan-2026-2030-draft"


# --- question analysis ---------------------------------------------------------------------------


@pytest.mark.parametrize("question, topic", [
    ("哪些文件提到了合成生物？", "合成生物"),
    ("哪份文件提出要建设概念验证中心？", "建设概念验证中心"),
    ("哪些政策涉及低空经济？", "低空经济"),
    ("哪几份省级文件里都有提到氢能？", "氢能"),
    ("哪些文件分别提到了合成生物？", "合成生物"),
    ("哪个规划对数据要素作了部署？", "数据要素"),
    ("哪些文件有关于孵化器的内容？", "孵化器"),
    ("哪些文件引用了《关于推动未来产业创新发展的实施意见》？", "《关于推动未来产业创新发展的实施意见》"),
    ("哪项政策提及首台套？", "首台套"),
    ("哪些文件支持人才引进？", "人才引进"),
    ("成都哪些文件提到了氢能？", "氢能"),            # the place scopes, it is not the topic
    ("哪些文件提到了杭州的人工智能产业？", "人工智能产业"),
    ("提到合成生物的文件有哪些？", "合成生物"),          # the other order
    ("提出要建设概念验证中心的是哪份文件？", "建设概念验证中心"),
    ("合成生物出现在哪些文件里？", "合成生物"),          # the topic first
    ("哪些文件提到了要素市场化配置？", "要素市场化配置"),  # 要 of 要素 is no modal verb
    ("Which documents mention hydrogen energy?", "hydrogen energy"),
    ("What policies discuss quantum technology?", "quantum technology"),
])
def test_which_documents_questions_and_their_topic(question, topic):
    assert q.documents_topic(question) == topic
    assert q.analyse(question).which_docs == topic


@pytest.mark.parametrize("question", [
    "遂昌支持人才的政策有哪些？",        # 政策 here are measures, not documents
    "哪些措施支持人才引进？",
    "有哪些政策支持人才引进？",
    "Which policies support start-ups?",
    "园区建设由哪个部门牵头？",
    "浙江实施意见稿的主要任务由哪六大计划组成？",
    "成都哪些区被要求在培育未来产业上发挥先导引领作用？",
    "哪个文件的发文字号是遂政办发〔2024〕11号？",  # a detail of one document
    "遂昌有哪些文件？",                  # no topic to look for
    "哪份文件规定了首台套产品的奖励是多少？",  # asks a value of the document too
    "哪些企业可以享受这些政策支持？",
    "Which department leads the angel fund work in Chengdu?",
])
def test_other_questions_do_not_ask_which_documents(question):
    assert q.documents_topic(question) is None


# --- answers on the bundled corpus ---------------------------------------------------------------


def _docs_holding(assistant, word: str, filters: Filters | None = None) -> set[str]:
    """Documents with a clause (headings included) that holds ``word``, read from the index."""
    return {c.doc_id for c in assistant.retriever.view.clauses
            if c.kind not in ("header", "notice", "footer") and (filters is None or filters.accepts(c))
            and normalize(word) in normalize(" ".join(c.section_path) + c.text)}


def _cited_docs(answer: Answer) -> list[str]:
    return [c.doc_id for c in answer.citations]


def _assert_well_cited(answer: Answer, word: str) -> None:
    """One citation per listed document, every marker resolves, every cited clause holds ``word``."""
    assert answer.answered, answer.answer
    assert markers_in(answer.answer) and not check_markers(answer.answer, answer.citations)
    assert {c.n for c in answer.citations} == set(markers_in(answer.answer))
    docs = _cited_docs(answer)
    assert len(docs) == len(set(docs)), "a document is listed twice"
    for c in answer.citations:
        assert normalize(word) in normalize(" ".join(c.section_path) + c.text), c.label
        title = c.doc_title if c.doc_title.startswith("《") else f"《{c.doc_title}》"
        assert title in answer.answer


@pytest.mark.slow
def test_every_document_that_mentions_the_topic_is_listed(real_assistant):
    answer = real_assistant.ask("哪些文件提到了合成生物？")
    _assert_well_cited(answer, "合成生物")
    assert set(_cited_docs(answer)) == {CHENGDU, HANGZHOU, ZJ_OPINIONS, SPARK}
    assert set(_cited_docs(answer)) == _docs_holding(real_assistant, "合成生物")
    assert answer.answer.startswith("提到“合成生物”的文件有4份")


@pytest.mark.slow
@pytest.mark.parametrize("question, word", [
    ("哪份文件提出要建设概念验证中心？", "概念验证中心"),
    ("涉及新型储能的文件有哪些？", "新型储能"),
    ("Which documents mention humanoid robots?", "人形机器人"),
])
def test_other_phrasings_list_the_documents_that_hold_the_topic(real_assistant, question, word):
    answer = real_assistant.ask(question)
    _assert_well_cited(answer, word)
    assert set(_cited_docs(answer)) == _docs_holding(real_assistant, word)


@pytest.mark.slow
def test_a_named_topic_is_held_whole(real_assistant):
    # The words of a title (关于, 推动, 未来产业, 创新, 发展…) are everywhere; the title is not.
    title = "关于推动未来产业创新发展的实施意见"
    answer = real_assistant.ask(f"哪些文件引用了《{title}》？")
    _assert_well_cited(answer, title)
    assert set(_cited_docs(answer)) == {HANGZHOU, SUICHANG} == _docs_holding(real_assistant, title)
    assert answer.answer.startswith(f"提到《{title}》的文件有2份")
    # A name only a title holds: the document's header is its mention.
    answer = real_assistant.ask("哪些文件提到了星火计划？")
    assert answer.answered and _cited_docs(answer) == [SPARK]
    assert "星火计划" in answer.citations[0].text


@pytest.mark.slow
def test_a_topic_no_document_speaks_of_is_refused(real_assistant):
    answer = real_assistant.ask("哪些文件提到了区块链？")
    assert not answer.answered and not answer.citations
    assert answer.answer.startswith(f"{REFUSAL_PREFIX}提到“区块链”的文件")


@pytest.mark.slow
def test_a_place_limits_the_list_to_its_documents(real_assistant):
    answer = real_assistant.ask("成都哪些文件提到了氢能？")
    _assert_well_cited(answer, "氢能")
    assert _cited_docs(answer) == [CHENGDU]  # three other documents mention 氢能 too
    assert len(_docs_holding(real_assistant, "氢能")) > 1
    # A place's part of a provincial plan (“1.杭州”) speaks for it; the rest does not.
    answer = real_assistant.ask("杭州哪些文件提到了合成生物？")
    _assert_well_cited(answer, "合成生物")
    assert HANGZHOU in _cited_docs(answer)
    assert all(c.doc_id == HANGZHOU or any("杭州" in h for h in c.section_path) for c in answer.citations)
    # A place whose documents never mention it is refused for that place, not answered
    # from another place's documents.
    answer = real_assistant.ask("浙江哪些文件提到了飞行汽车？")
    assert not answer.answered and answer.answer.startswith(f"{REFUSAL_PREFIX}浙江提到“飞行汽车”")
    assert _docs_holding(real_assistant, "飞行汽车") == {CHENGDU}


@pytest.mark.slow
@pytest.mark.parametrize("filters, expected", [
    (Filters(status="final"), {CHENGDU, SUICHANG}),
    (Filters(level="province"), {ZJ_OPINIONS, SPARK}),
    (Filters(doc_ids=[SUICHANG, SPARK]), {SUICHANG, SPARK}),
])
def test_the_askers_filters_are_kept(real_assistant, filters, expected):
    answer = real_assistant.ask("哪些文件提到了氢能？", filters=filters)
    _assert_well_cited(answer, "氢能")
    assert set(_cited_docs(answer)) == expected == _docs_holding(real_assistant, "氢能", filters)


@pytest.mark.slow
def test_a_place_outside_the_askers_documents_is_refused(real_assistant):
    answer = real_assistant.ask("成都哪些文件提到了氢能？", filters=Filters(doc_ids=[SUICHANG, SPARK]))
    assert not answer.answered and not answer.citations


@pytest.mark.slow
def test_a_long_list_is_capped_and_says_so(real_assistant, monkeypatch):
    monkeypatch.setattr(real_assistant.composer.mentions, "max_listed", 2)
    answer = real_assistant.ask("哪些文件提到了人形机器人？")
    assert answer.answered and len(answer.citations) == 2
    assert answer.answer.startswith("提到“人形机器人”的文件有5份，以下列出最相关的2份")


@pytest.mark.slow
def test_a_count_past_the_search_depth_is_a_lower_bound(real_assistant, monkeypatch):
    monkeypatch.setattr(real_assistant.composer.mentions, "depth", 3)
    answer = real_assistant.ask("哪些文件提到了氢能？")
    _assert_well_cited(answer, "氢能")
    shown = len(answer.citations)
    assert shown < len(_docs_holding(real_assistant, "氢能"))
    assert answer.answer.startswith(f"提到“氢能”的文件至少有{shown}份，以下列出最相关的{shown}份")


@pytest.mark.slow
def test_a_follow_up_with_a_place_lists_that_places_documents(real_assistant):
    history = [{"role": "user", "content": "哪些文件提到了合成生物？"},
               {"role": "assistant", "content": "提到“合成生物”的文件有4份：……"}]
    answer = real_assistant.ask("那成都呢？", history=history)
    _assert_well_cited(answer, "合成生物")
    assert _cited_docs(answer) == [CHENGDU]


class _Unused(FakeListChatModel):
    """A chat model that must not be asked: the list of documents is found in the index."""

    def _call(self, *args, **kwargs):
        raise AssertionError("the model was asked for a list of documents")

    def _stream(self, *args, **kwargs):
        raise AssertionError("the model was asked for a list of documents")


@pytest.mark.slow
def test_the_llm_composer_gives_the_same_list(real_assistant):
    extractive = real_assistant.composer
    composer = LLMComposer(_Unused(responses=["x"]), load_prompts(), extractive)
    question = "哪些文件提到了脑机接口？"
    retrieved = real_assistant.retriever.retrieve(question, k=5)
    expected = extractive.compose(question, retrieved)
    answer = composer.compose(question, retrieved)
    assert answer.answered and answer.notice is None
    assert answer.answer == expected.answer and answer.citations == expected.citations
    streamed = list(composer.stream(question, retrieved))
    assert len(streamed) == 1 and streamed[0].answer == expected.answer
    assert set(_cited_docs(answer)) == _docs_holding(real_assistant, "脑机接口")
