"""Answers: markers map to citations, refusals, bad questions, the CLI's JSON shape."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.answering.citations import check_markers, markers_in
from assistant.service import QuestionError


@pytest.mark.slow
def test_answer_cites_the_clause_that_says_it(real_assistant):
    ans = real_assistant.ask("遂昌加速创新成果转化应用由哪些单位负责？")
    assert ans.answered
    assert "县科技局" in ans.answer
    assert markers_in(ans.answer) and not check_markers(ans.answer, ans.citations)
    assert ans.citations[0].section_path == ["三、重点举措", "（三）加速创新成果转化应用"]
    assert ans.citations[0].label.startswith("《遂昌县关于培育发展未来产业的实施意见》")


@pytest.mark.slow
def test_every_marker_resolves_and_every_citation_is_used(real_assistant):
    for q in ["成都天使基金投未来产业的原则是什么？", "遂昌重点发展的五个未来产业是哪些？",
              "杭州到2026年底要打造多少家企业技术中心？"]:
        ans = real_assistant.ask(q)
        assert ans.answered, q
        assert not check_markers(ans.answer, ans.citations)
        assert {c.n for c in ans.citations} == set(markers_in(ans.answer))


@pytest.mark.slow
def test_list_question_gets_the_items(real_assistant):
    ans = real_assistant.ask("遂昌重点发展的五个未来产业是哪些？")
    for item in ("高端金属材料", "精细化工", "新型储能", "先进装备及零部件", "元宇宙"):
        assert item in ans.answer


@pytest.mark.slow
@pytest.mark.parametrize("question", ["深圳对无人机企业每家补贴多少钱？", "北京市未来产业的发展目标是什么？"])
def test_out_of_corpus_questions_are_refused_with_nearest_clauses(real_assistant, question):
    ans = real_assistant.ask(question)
    assert not ans.answered
    assert ans.answer.startswith("未在已收录的文件中找到")
    assert not ans.citations and ans.retrieved


@pytest.mark.parametrize("question", ["", "   \n "])
def test_empty_question_is_a_clear_error(fake_assistant, question):
    with pytest.raises(QuestionError, match="empty"):
        fake_assistant.ask(question)


def test_overlong_question_is_a_clear_error(fake_assistant):
    with pytest.raises(QuestionError, match="limit"):
        fake_assistant.ask("问" * 2001)


def test_cli_ask_json_shape(tmp_path, monkeypatch, corpus_dir):
    from assistant.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text((corpus_dir / "suichang-2024-future-industries-opinions.txt").read_text())
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    result = CliRunner().invoke(app, ["ask", "遂昌加速创新成果转化应用由哪些单位负责？", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout[result.stdout.index("{"):])
    assert set(out) >= {"question", "answer", "answered", "citations", "retrieved", "latency_ms"}
    assert set(out["retrieved"][0]) >= {"doc_title", "section_path", "label", "text", "score", "chunk_id"}
    assert set(out["citations"][0]) >= {"n", "doc_id", "doc_title", "label", "section_path", "text", "chunk_id"}


def test_cli_empty_question_exits_with_a_message(tmp_path, monkeypatch):
    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    result = CliRunner().invoke(app, ["ask", "  "])
    assert result.exit_code == 2 and "empty" in result.output


def test_cli_chunks_json(corpus_dir):
    from assistant.cli import app

    result = CliRunner().invoke(app, ["chunks", str(corpus_dir / "chengdu-2024-future-industries-opinions.txt"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["document"]["doc_number"] == "成府发〔2024〕2号"  # printed 成府发〔２０２４〕２号
    assert any(c["responsible_units"] for c in out["chunks"])


def test_followup_with_a_new_place_swaps_it_into_the_previous_question():
    from assistant.answering.followup import rewrite

    history = [{"role": "user", "content": "星火计划里宁波重点发展什么？"}, {"role": "assistant", "content": "…"}]
    assert rewrite("那杭州呢？", history) == "星火计划里杭州重点发展什么？"


def test_followup_without_a_subject_keeps_the_previous_question_as_context():
    from assistant.answering.followup import rewrite

    history = [{"role": "user", "content": "遂昌加速创新成果转化应用由哪些单位负责？"}]
    # The follow-up asks its own question about the previous question's subject.
    assert rewrite("牵头单位是谁？", history) == "遂昌加速创新成果转化应用，牵头单位是谁？"
    assert rewrite("成都天使基金投未来产业的原则是什么？", history) == "成都天使基金投未来产业的原则是什么？"
    # A follow-up of a follow-up leans on the same subject, not on the words of the one before.
    history += [{"role": "assistant", "content": "…"}, {"role": "user", "content": "牵头单位是谁？"},
                {"role": "assistant", "content": "…"}]
    assert rewrite("那这项工作具体做什么？", history) == "遂昌加速创新成果转化应用，这项工作具体做什么？"


def test_a_followup_of_a_followup_swaps_the_place_of_the_first_question():
    from assistant.answering import questions as q
    from assistant.answering.followup import rewrite

    history = [{"role": "user", "content": "浙江星火计划到2030年要培育多少个先导区？"}, {"role": "assistant", "content": "…"},
               {"role": "user", "content": "那杭州呢？"}, {"role": "assistant", "content": "…"}]
    assert rewrite("成都呢？", history) == "成都星火计划到2030年要培育多少个先导区？"
    # Two places compared, one asked next: the word joining them goes with the other.
    assert q.replace_places("成都和遂昌在低空经济上的布局有什么不同？", ["杭州"]) == "杭州在低空经济上的布局有什么不同？"


@pytest.mark.slow
def test_followup_is_answered_from_the_conversation(real_assistant):
    history = [{"role": "user", "content": "遂昌加速创新成果转化应用由哪些单位负责？"}]
    ans = real_assistant.ask("牵头单位是谁？", history=history)
    assert ans.answered and "县科技局" in ans.answer
    assert ans.understood and "加速创新成果转化应用" in ans.understood


def test_english_question_gets_chinese_terms_and_place_names():
    from assistant.language.crosslingual import expand, is_mostly_english

    aliases = {"chengdu": "成都", "hangzhou": "杭州"}
    out = expand("What is the document number of Chengdu's opinions?", aliases)
    assert "文号" in out and "成都" in out
    assert expand("成都的文号是什么？", aliases) == "成都的文号是什么？"
    # Any year is written as the documents write it.
    assert "2031年" in expand("What is Chengdu's target by 2031?", aliases)
    assert not is_mostly_english("推进AI+应用")


def test_english_words_outside_the_glossary_are_read_with_a_dictionary():
    from assistant.language.crosslingual import expand

    # Of a word's translations, the one the documents use most (the lowest idf).
    vocabulary = {"元宇宙": 2.0, "量子": 1.5, "潜力": 1.0, "潜能": 3.0}
    out = expand("Does Chengdu name quantum and metaverse industries with potential?", {}, vocabulary)
    assert "元宇宙" in out and "量子" in out and "潜力" in out and "潜能" not in out
    # A translation no document uses is not added.
    assert "宇航" not in expand("What about astronautics?", {}, vocabulary)


@pytest.mark.slow
def test_english_question_is_answered_from_chinese_text(real_assistant):
    ans = real_assistant.ask("Which department leads the angel fund work in Chengdu?")
    assert ans.answered and "市国资委" in ans.answer


@pytest.mark.slow
def test_missing_document_detail_is_said_plainly(real_assistant):
    ans = real_assistant.ask("浙江《关于加快培育未来产业的实施意见》的文号是什么？")
    assert not ans.answered and "未载明文号" in ans.answer


@pytest.mark.slow
@pytest.mark.parametrize("question", ["浙江星火计划到2030年要培育多少个未来产业先导区？",
                                      "杭州重点发展哪些未来产业？"])
def test_scoping_never_leaves_the_askers_filters(real_assistant, question):
    from assistant.types import Filters

    answer = real_assistant.ask(question, filters=Filters(status="final"))
    quoted = [c.doc_id for c in answer.citations] + [r.clause.doc_id for r in answer.retrieved]
    statuses = {d: m.status for d, m in ((c.doc_id, c.meta) for c in real_assistant.store.all_clauses())}
    assert quoted and all(statuses[d] == "final" for d in quoted)


def test_a_citation_carries_the_span_it_quotes():
    from helpers import retrieved_clause

    from assistant.answering.citations import CitationBook

    r = retrieved_clause(1, "遂昌县关于培育发展未来产业的实施意见", ["（三）加速创新成果转化应用"],
                         "推动科技成果转化。由县科技局牵头负责。")
    book = CitationBook()
    n = book.cite(r.clause, "由县科技局牵头负责。")
    assert book.cite(r.clause, "由县科技局牵头负责。") == n  # the same span is kept once
    [quote] = book.citations[0].quotes
    assert r.clause.text[quote.start:quote.end] == quote.text == "由县科技局牵头负责。"
    # Words that are not the clause's own are no span.
    book.cite(r.clause, "县科技局负责。")
    assert len(book.citations[0].quotes) == 1
