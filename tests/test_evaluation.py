"""The gold set is sound, and the metrics compute what they claim."""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation import aggregate, budget_texts, check_floors, holds, load_gold, score_item
from assistant.language.text import normalize
from assistant.types import Answer, Citation, Clause, RetrievedClause

ROOT = Path(__file__).resolve().parent.parent


def test_gold_items_are_grounded_in_the_corpus(corpus_dir):
    items = load_gold(ROOT / "evals" / "gold.jsonl")
    assert len(items) >= 100
    assert len({i.id for i in items}) == len(items)
    assert sum(not i.answerable for i in items) >= 15
    corpus = normalize("".join(p.read_text(encoding="utf-8") for p in corpus_dir.glob("*.txt")))
    for item in items:
        if not item.answerable:
            assert not item.expected and not item.evidence, item.id
            continue
        for span in item.evidence:
            assert normalize(span) in corpus, (item.id, span)
        for group in item.expected:
            assert any(normalize(alt) in corpus for alt in group), (item.id, group)


def test_normalisation_matches_across_bracket_and_width_variants():
    assert normalize("遂政办发〔2024〕11号") == normalize("遂政办发[2024]11号")
    assert normalize("２０２４年") == normalize("2024 年")


def _clause(cid: str, text: str) -> Clause:
    return Clause(chunk_id=cid, doc_id="d", doc_title="t", section_path=[cid], label=cid, text=text)


def test_score_item_on_a_hand_made_answer():
    from assistant.evaluation import GoldItem

    item = GoldItem(id="x", question="q", expected=[["60个"], ["500个"]],
                    evidence=["培育未来产业先导区60个", "创新场景500个"], tags=["t"])
    good = _clause("a", "到2030年，培育未来产业先导区60个、创新场景500个。")
    other = _clause("b", "无关内容。" * 50)
    answer = Answer(question="q", answer="培育未来产业先导区60个[1]", answered=True,
                    citations=[Citation(n=1, doc_id="d", doc_title="t", section_path=["a"], label="a",
                                        text=good.text, chunk_id="a")],
                    retrieved=[RetrievedClause(clause=other, score=0.2), RetrievedClause(clause=good, score=0.1)])
    s = score_item(item, answer, k=5)
    assert s["recall@k"] == 1.0 and s["mrr@10"] == 0.5
    assert s["recall@budget"] == 1.0  # "无关内容" ×50 is 200 normalised chars, under the budget
    assert s["citation_precision"] == 1.0 and s["citation_recall"] == 1.0
    assert s["fact_recall"] == 0.5 and s["all_facts"] == 0.0
    assert s["false_refusal"] == 0.0


def test_a_silent_side_counts_only_when_its_line_says_so():
    from assistant.evaluation import GoldItem

    item = GoldItem(id="x", question="甲和乙在某事上有何不同？", expected=[["30万元"]], silent=["乙"])
    said = "甲：给予30万元补助。[1]\n乙：已收录的文件中未载明关于某事的内容。"
    borrowed = "甲：给予30万元补助。[1]\n乙：给予资金支持，未载明金额。[2]"
    mixed_up = "甲：已收录的文件中未载明关于某事的内容。\n乙：给予30万元补助。[1]"
    scores = [score_item(item, Answer(question="q", answer=a, answered=True), k=5)["all_facts"]
              for a in (said, borrowed, mixed_up)]
    assert scores == [1.0, 0.0, 0.0]


def test_evidence_quoting_a_table_rows_cells_is_held_by_the_row_with_its_labels():
    row = normalize("序号：29｜用户名称：天津滨海国际机场有限公司｜申报响应能力：12000千瓦时｜补贴总额：1.59万元")
    assert holds("天津滨海国际机场有限公司 12000 1.59", row)
    assert holds("补贴总额：1.59万元", row)
    # Cells out of order, or far apart, are not that row.
    assert not holds("12000 天津滨海国际机场有限公司", row)
    far = normalize("天津滨海国际机场有限公司" + "其他内容" * 40 + "12000")
    assert not holds("天津滨海国际机场有限公司 12000", far)
    assert not holds("天津滨海国际机场", normalize("天津港"))


def test_budget_truncates_the_last_text():
    cut = budget_texts(["甲" * 700, "乙" * 700, "丙" * 10], budget=1000)
    assert [len(c) for c in cut] == [700, 300]


def test_aggregate_and_floors():
    records = [{"scores": {"recall@k": 1.0, "refusal": None, "context_chars": 10}, "latency_ms": 10},
               {"scores": {"recall@k": 0.5, "context_chars": 30}, "latency_ms": 30}]
    overall = aggregate(records)
    assert overall["recall@k"] == 0.75 and overall["refusal"] is None
    assert check_floors(overall, {"recall@k": 0.8})
    assert not check_floors(overall, {"recall@k": 0.7, "latency_p50_ms": 100})


FIELD_DOCS = ROOT.parent / "shared" / "field-docs"


def test_field_gold_is_grounded_in_the_documents_as_read():
    """Evidence and facts of the field gold are in the text the reader extracts from each file."""
    import pytest

    from assistant.service import chunk_file

    if not FIELD_DOCS.is_dir():
        pytest.skip("the field documents are not available")
    items = load_gold(ROOT / "evals" / "field_gold.jsonl")
    assert len(items) >= 60 and len({i.doc for i in items}) >= 10
    assert sum(not i.answerable for i in items) >= 15
    texts: dict[str, str] = {}
    for item in items:
        assert item.doc, item.id
        if item.doc not in texts:
            texts[item.doc] = normalize(" ".join(c.text for c in chunk_file(FIELD_DOCS / item.doc)[1]))
        if not item.answerable:
            assert not item.expected and not item.evidence, item.id
            continue
        assert item.evidence, item.id
        for span in item.evidence:
            assert normalize(span) in texts[item.doc], (item.id, span)
        for group in item.expected:
            assert any(normalize(alt) in texts[item.doc] for alt in group), (item.id, group)


def test_gold_split_keeps_paraphrases_of_a_clause_together(corpus_dir):
    """Every item is dev or test; items whose evidence lies in one section share a split."""
    import importlib.util

    from assistant.service import chunk_file

    spec = importlib.util.spec_from_file_location("split_gold", ROOT / "evals" / "split_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    section_key, split_of = module.section_key, module.split_of
    items = load_gold(ROOT / "evals" / "gold.jsonl")
    assert {i.split for i in items} == {"dev", "test"}
    clauses = [c for p in sorted(corpus_dir.glob("*.txt")) for c in chunk_file(p)[1]]
    by_section: dict[str, set[str]] = {}
    for item in items:
        key = section_key(item.evidence, clauses)
        if item.split_pinned:
            # Written for the dev split (comparisons across documents): never test items.
            assert item.split == "dev", item.id
            continue
        if key is not None:
            assert item.split == split_of(key), item.id
            by_section.setdefault(key, set()).add(item.split)
    assert all(len(s) == 1 for s in by_section.values())
    assert sum("place-swap" in i.tags for i in items) >= 10
    for split in ("dev", "test"):
        assert sum(not i.answerable and i.split == split for i in items) >= 10


def test_floors_apply_to_the_test_split_and_docs_are_the_named_files(tmp_path):
    import pytest

    from assistant.evaluation import GoldItem, doc_paths, floor_metrics

    report = {"metrics": {"overall": {"refusal": 0.5},
                          "per_split": {"dev": {"refusal": 0.4}, "test": {"refusal": 0.95}}}}
    assert floor_metrics(report) == ("test", {"refusal": 0.95})
    assert floor_metrics({"metrics": {"overall": {"refusal": 0.5}}}) == ("overall", {"refusal": 0.5})
    (tmp_path / "a.md").write_text("甲", encoding="utf-8")
    (tmp_path / "b.md").write_text("乙", encoding="utf-8")
    items = [GoldItem(id="1", question="q", doc="a.md"), GoldItem(id="2", question="q", doc="a.md")]
    assert doc_paths(items, tmp_path) == [tmp_path / "a.md"]
    assert doc_paths([GoldItem(id="3", question="q")], tmp_path) == [tmp_path]
    with pytest.raises(FileNotFoundError, match="c.md"):
        doc_paths([GoldItem(id="4", question="q", doc="c.md")], tmp_path)


def test_a_conversation_is_asked_turn_by_turn_with_its_history(tmp_path):
    """Each turn of a gold conversation is asked with the earlier turns and the answers the
    assistant gave them, as the API receives them."""
    import json

    from assistant.evaluation import load_gold, run_eval
    from assistant.types import Answer

    gold = tmp_path / "conversations.jsonl"
    gold.write_text(json.dumps({"id": "c1", "turns": [
        {"question": "甲补多少？", "expected": [["10万元"]], "evidence": [], "answerable": True},
        {"question": "那乙呢？", "expected": [], "evidence": [], "answerable": False}]},
        ensure_ascii=False) + "\n", encoding="utf-8")
    items = load_gold(gold)
    assert [i.id for i in items] == ["c1.1", "c1.2"]
    assert items[0].tags == ["first-turn"] and items[1].tags == ["follow-up", "unanswerable"]

    class Recorder:
        def __init__(self):
            self.calls = []

        def ensure_index(self):
            pass

        def ask(self, question, k=None, history=None):
            self.calls.append((question, history))
            text = "给予10万元。[1]" if question.startswith("甲") else "未在已收录的文件中找到乙的规定。"
            return Answer(question=question, answer=text, answered=question.startswith("甲"))

        def ranked(self, question, depth):
            return []

    recorder = Recorder()
    report = run_eval(recorder, items)
    asked = [c for c in recorder.calls[1:]]  # the first call warms the models up
    assert asked[0] == ("甲补多少？", None)
    assert asked[1] == ("那乙呢？", [{"role": "user", "content": "甲补多少？"},
                                   {"role": "assistant", "content": "给予10万元。[1]"}])
    assert [r["scores"]["right"] for r in report["records"]] == [1.0, 1.0]
    assert report["metrics"]["per_tag"]["follow-up"]["right"] == 1.0
