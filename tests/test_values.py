"""Asked numbers: the sentence that states one of the asked thing, wherever it ranks."""

from __future__ import annotations

from helpers import FixedRetriever, fixture_composer, retrieved_clause

from assistant.answering import questions as q

TITLE = "浙江省关于加快培育未来产业的实施意见"


def _clause(n, path, text, doc="zj"):
    rc = retrieved_clause(n, TITLE, path, text)
    rc.clause.doc_id = doc
    return rc


GOALS = _clause(1, ["一、主要目标"], "到2027年，培育未来产业先导区35个，建立专利导航服务基地10个，打造标志性产品100项。")
PRODUCTS = _clause(2, ["三、主要任务", "（二）培育标志性产品"], "培育一批标志性产品，支持首台（套）产品推广应用。")
REGION = _clause(3, ["二、区域布局", "2.宁波"], "2.宁波。重点发展人形机器人和柔性电子。")


def _composer():
    return fixture_composer(FixedRetriever([GOALS, PRODUCTS, REGION]))


def test_a_number_in_a_clause_ranked_low_is_found_in_the_rest_of_the_document():
    # Retrieval returns the clause about the products, not the one with the targets.
    ans = _composer().compose("浙江的实施意见要打造多少项标志性产品？", [PRODUCTS])
    assert ans.answered and "100项" in ans.answer
    assert [c.chunk_id for c in ans.citations] == ["c1"]


def test_a_place_mentioned_inside_a_document_is_not_answered_from_the_rest_of_it():
    ans = _composer().compose("宁波的未来产业先导区目标是多少个？", [REGION, GOALS])
    assert not ans.answered and "35个" not in ans.answer


def test_the_verbs_that_ask_for_a_number_are_not_topic_words():
    assert q.asking_verbs("先导区到2027年要达到多少个？") == "要达到"
    composer = _composer()
    keys = composer.key_terms(composer.analyse("浙江意见稿里先导区到2027年要达到多少个？"))
    assert "达到" not in keys and "区到" not in keys and "稿里" not in keys
