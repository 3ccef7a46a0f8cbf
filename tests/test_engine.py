"""The answer engine's parts on their own: the question frame, quantities and tiers, candidates,
the eligibility of a candidate for a slot, the asked value, the fitted scorer and its file."""

from __future__ import annotations

import json

import pytest
from helpers import composer_over, retrieved_clause

from assistant.answering import questions as q
from assistant.answering.candidates import (
    LEAD_IN,
    RUN,
    SENTENCE,
    TITLE,
    UNITS,
    Candidate,
    candidates,
)
from assistant.answering.features import ANSWERABILITY, NAMES, eligible, governing_year
from assistant.answering.frame import CONDITION, Slot, plain, slots_of
from assistant.answering.render import refusal_text, slot_name, value_of
from assistant.answering.scorer import WEIGHTS_FILE, Scorer
from assistant.index.indexview import IndexView
from assistant.language.quantities import (
    asked_quantities,
    money_figures,
    ranges,
    rate_figures,
    tier_fit,
)
from assistant.types import REFUSAL_PREFIX


def _kinds(question: str) -> list[tuple[str, str | None]]:
    return [(s.kind, s.attribute) for s in slots_of(question)]


# --- the frame ---------------------------------------------------------------------------------


def test_colloquial_words_are_read_as_documents_write_them():
    assert plain("申请条件是啥") == "申请条件是什么"
    assert plain("补多少？") == "补贴多少？"


def test_each_thing_asked_is_a_slot_of_its_type():
    assert _kinds("补多少？期限几年？") == [(q.AMOUNT, "补贴"), (q.DURATION, None)]
    assert [s.kind for s in slots_of("啥时候开始、啥时候到期")] == [q.DATE, q.DATE]
    assert [s.kind for s in slots_of("牵头单位和配合单位分别是谁？")] == [q.WHO, q.WHO]


def test_things_asked_of_each_get_a_slot_each_with_what_it_is_asked_of():
    slots = slots_of("开办费和运营费各给多少")
    assert [s.attribute for s in slots] == ["开办费", "运营费"]
    assert all(s.kind in q.NUMBER_TYPES for s in slots)


def test_a_noun_that_measures_asks_for_a_quantity():
    assert [s.kind for s in slots_of("到2025年火箭和卫星年产能目标？")] == [q.QUANTITY]
    assert [s.kind for s in slots_of("基金规模多大？")] == [q.QUANTITY]
    assert [s.kind for s in slots_of("扩大产业规模有哪些措施？")] == [q.LIST]


def test_a_question_of_conditions_and_a_plain_number_question():
    assert [s.kind for s in slots_of("申请条件是啥")] == [CONDITION]
    assert _kinds("2030年要培育多少个未来产业先导区？") == [(q.COUNT, "先导区")]


# --- quantities and tiers -----------------------------------------------------------------------


TIERS = "营业收入5000万元（含）至1亿元（不含）的，奖励50万元；1亿元以上的，奖励100万元；不足5000万元的，奖励10万元"


def test_quantities_the_asker_states_are_read_in_yuan_and_years_are_not_quantities():
    assert [(x.value, x.unit) for x in asked_quantities("我们公司2025年营收8000万元，能拿多少奖励？")] == \
        [(80_000_000.0, "money")]


def test_tiers_meet_without_a_gap():
    assert [(r.low, r.high) for r in ranges(TIERS)] == [
        (50_000_000.0, 100_000_000.0), (100_000_000.0, float("inf")), (0.0, 50_000_000.0)]


@pytest.mark.parametrize(("question", "fit"), [
    ("年营收8000万元能奖多少", 1),
    ("年营收2亿元能奖多少", 1),
    ("年营收1亿元能奖多少", 1),
    ("年营收3000万元能奖多少", 1),
    ("能奖多少", 0),
])
def test_a_stated_quantity_falls_in_one_tier(question, fit):
    assert tier_fit(question, TIERS) == fit


def test_a_quantity_no_tier_holds_does_not_fit():
    assert tier_fit("年营收2亿元能奖多少", "营业收入5000万元（含）至1亿元（不含）的，奖励50万元") == -1


def test_money_and_rates_keep_their_offsets_in_the_text_as_written():
    text = "给予最高１０００万元补助，电价0.4012元/千瓦时，另奖三百万元"
    figures = money_figures(text)
    assert [(f.value, f.per) for f in figures] == [(10_000_000.0, ""), (0.4012, "千瓦时"), (3_000_000.0, "")]
    assert all(text[f.start:f.end] == f.text for f in figures)
    assert [f.value for f in rate_figures("按30%给予补贴，配套资金按1∶1的比例")] == [0.3, 0.5]


# --- candidates, eligibility and the asked value -------------------------------------------------


def _pool(*texts: str, path=("三、支持措施",)):
    pool = [retrieved_clause(i + 1, "某市促进产业发展若干措施", [*path, f"（{i + 1}）"], t)
            for i, t in enumerate(texts)]
    return pool, IndexView.build([r.clause for r in pool])


def _sentences(*texts: str) -> dict[str, Candidate]:
    """The sentence candidates of clauses with these texts, by their text."""
    pool, view = _pool(*texts)
    return {c.text: c for c in candidates(pool, view) if c.kind == SENTENCE}


def test_candidates_are_each_sentence_and_a_lead_in_with_its_items():
    pool, view = _pool("对首次认定的高新技术企业，给予一次性奖励30万元。奖励资金由市财政承担。",
                       "申报企业应具备以下条件：（一）在本市注册；（二）上年度营业收入不低于2000万元。")
    found = candidates(pool, view)
    kinds = [c.kind for c in found]
    # The title is a candidate only where a header clause states it; these have none.
    assert TITLE not in kinds
    sentences = [c.text for c in found if c.kind == SENTENCE]
    assert "对首次认定的高新技术企业，给予一次性奖励30万元。" in sentences
    lead = next(c for c in found if c.kind == LEAD_IN)
    assert lead.items == 2 and lead.quotes[0] == "申报企业应具备以下条件："
    # Every quote is an exact span of its clause: a citation shows where it stands.
    assert all(part in c.clause.text for c in found if c.kind != TITLE for part in c.quotes)


def test_a_lead_in_inside_a_sentence_is_quoted_with_the_parts_it_introduces():
    pool, view = _pool("对新车型给予一次性研发激励，其中：年销量3000—5000辆的车型，给予500万元激励；"
                       "年销量5000辆以上的车型，给予1000万元激励。")
    found = candidates(pool, view)
    assert not any(c.kind == SENTENCE and c.text.endswith("给予500万元激励；") for c in found)
    run = next(c for c in found if c.kind == RUN)
    assert "500万元" in run.text and "1000万元" in run.text


def test_a_lead_in_whose_colon_is_far_from_its_list_word_still_leads_the_numbered_lines():
    pool, view = _pool("第三十一条有下列行为之一的，由公安机关交通管理部门处五十元罚款：\n"
                       "（一）驾驶未经登记的电动自行车的；\n（二）超速行驶的；\n（三）逆向行驶的。")
    lead = next(c for c in candidates(pool, view) if c.kind == LEAD_IN)
    assert lead.items == 3 and lead.quotes[0] == "第三十一条有下列行为之一的，由公安机关交通管理部门处五十元罚款："
    assert "超速" in lead.text and "逆向" in lead.text


def test_a_clause_with_a_responsibility_note_gives_a_units_candidate_that_answers_who():
    pool, view = _pool("加快创新成果转化应用。")
    clause = pool[0].clause
    clause.responsible_units = ["县科技局", "县经信局"]
    clause.lead_units = ["县科技局"]
    units = [c for c in candidates(pool, IndexView.build([clause])) if c.kind == UNITS]
    assert len(units) == 1
    who = Slot(q.WHO, "由哪些单位负责")
    assert value_of(who, units[0]) == "牵头单位是县科技局，责任单位为县科技局、县经信局"
    assert eligible(who, units[0], lambda w: True)


def test_a_number_slot_needs_its_value_stated_and_the_thing_it_is_asked_of_named():
    found = _sentences("对首次认定的高新技术企业，给予一次性奖励30万元。", "支持企业开展研发活动。")
    amount = Slot(q.AMOUNT, "奖励多少钱", "奖励")
    assert value_of(amount, found["对首次认定的高新技术企业，给予一次性奖励30万元。"]) == "30万元"
    assert eligible(amount, found["对首次认定的高新技术企业，给予一次性奖励30万元。"], lambda w: True)
    assert not eligible(amount, found["支持企业开展研发活动。"], lambda w: True)
    # 租金 is used by the index and not named by the sentence: it cannot answer a rent question.
    rent = Slot(q.AMOUNT, "租金补多少", "租金")
    assert not eligible(rent, found["对首次认定的高新技术企业，给予一次性奖励30万元。"], lambda w: True)


def test_a_sentence_of_other_years_does_not_answer_a_question_of_one_year():
    pool, view = _pool("到2028年，培育未来产业先导区5个。")
    cand = next(c for c in candidates(pool, view) if c.kind == SENTENCE)
    count = Slot(q.COUNT, "2025年培育多少个先导区", "先导区")
    assert eligible(count, cand, lambda w: True, years=("2028",))
    assert not eligible(count, cand, lambda w: True, years=("2025",))


def test_a_sentence_naming_no_year_in_a_document_of_another_period_does_not_answer_for_a_year():
    from assistant.answering.features import title_covers

    assert not title_covers("某市未来产业培育行动计划（2024-2026年）", ["2030"])
    assert title_covers("某市未来产业培育行动计划（2024-2026年）", ["2025"])
    assert title_covers("关于加快培育未来产业的实施意见", ["2030"])
    pool, view = _pool("为推动未来产业创新发展，拟出台本行动计划。")
    cand = next(c for c in candidates(pool, view) if c.kind == SENTENCE)
    slot = Slot(q.LIST, "提出了哪些到2030年的目标")
    assert eligible(slot, cand, lambda w: True, years=("2030",))
    cand.clause = cand.clause.model_copy(update={"doc_title": "某市未来产业培育行动计划（2024-2026年）"})
    assert not eligible(slot, cand, lambda w: True, years=("2030",))
    assert eligible(slot, cand, lambda w: True, years=("2025",))
    # Nor does one that follows an event of another year in its clause.
    pool, view = _pool("2024年1月，七部门印发实施意见。为推动未来产业创新发展，拟出台本行动计划。")
    cand = next(c for c in candidates(pool, view) if c.kind == SENTENCE and c.text.startswith("为推动"))
    cand.clause = cand.clause.model_copy(update={"doc_title": "某市未来产业培育行动计划（2024-2026年）"})
    assert not eligible(slot, cand, lambda w: True, years=("2030",))
    # A price asked (电价多少) is an amount of money; so is a fee (多少工本费), not its rate.
    assert q.answer_type("增量项目机制电价多少？") == q.AMOUNT
    assert q.answer_type("上牌要交多少工本费") == q.AMOUNT and q.answer_type("工本费多少") == q.AMOUNT
    assert q.answer_type("担保费率多少") == q.RATE


def test_a_refusal_says_what_was_not_found_and_where():
    assert slot_name(Slot(q.DURATION, "补贴期限多久", "补贴")) == "补贴期限"
    text = refusal_text("《某市促进产业发展若干措施》", None, "《某市促进产业发展若干措施》三、支持措施", "补贴期限")
    assert text.startswith(REFUSAL_PREFIX) and "关于补贴期限的规定" in text and "最接近的条款是" in text
    assert "杭州市的相关文件" in refusal_text(None, "杭州市", None)


def test_how_to_apply_is_answered_only_by_a_sentence_that_says_how():
    assert [s.kind for s in slots_of("要交哪些材料，网上在哪报？")] == [q.PROCEDURE, q.PROCEDURE]
    assert _kinds("重庆商用车研发激励怎么申报？") == [(q.PROCEDURE, None)]
    assert [s.kind for s in slots_of("哪些企业可以申请？")] == [q.LIST]
    found = _sentences("对首次认定的高新技术企业，给予一次性奖励30万元。",
                       "申请人须提交申请表、营业执照复印件，通过市科技局网上系统申报。")
    how = Slot(q.PROCEDURE, "要交哪些材料")
    assert not eligible(how, found["对首次认定的高新技术企业，给予一次性奖励30万元。"], lambda w: True)
    assert eligible(how, found["申请人须提交申请表、营业执照复印件，通过市科技局网上系统申报。"], lambda w: True)
    assert slot_name(how) == "申报材料和办理方式"


def test_a_day_of_a_date_is_no_period():
    pool, view = _pool("本措施自2026年1月1日起实施，有效期5年。")
    cand = next(c for c in candidates(pool, view) if c.kind == SENTENCE)
    assert value_of(Slot(q.DURATION, "有效期多久"), cand) == "5年"
    pool, view = _pool("本措施自2026年1月1日起实施。")
    cand = next(c for c in candidates(pool, view) if c.kind == SENTENCE)
    assert value_of(Slot(q.QUANTITY, "专项资金总盘子多大"), cand) is None
    assert not q.states_type(cand.text, q.DURATION)


def test_a_value_stated_per_other_units_does_not_answer_a_question_per_one_unit():
    pool, view = _pool("长者饭堂运营补贴标准为每人每次3元。")
    cand = next(c for c in candidates(pool, view) if c.kind == SENTENCE)
    amount = Slot(q.AMOUNT, "补贴多少", "补贴")
    asked_per_year = "每家长者饭堂每年的运营补贴上限是多少？"
    assert not eligible(amount, cand, lambda w: True, question=asked_per_year)
    assert eligible(amount, cand, lambda w: True, question="每人每次补贴多少？")
    assert eligible(amount, cand, lambda w: True, question="长者饭堂运营补贴多少？")


def test_a_value_asked_per_a_physical_unit_needs_a_figure_per_that_unit():
    found = _sentences("对用户补贴总额53万元，申报响应能力170000千瓦时。", "响应补贴标准为2元/千瓦时。")
    amount = Slot(q.AMOUNT, "补贴多少钱", "补贴")
    per_kwh = "需求响应补贴标准是每千瓦时多少钱？"
    assert not eligible(amount, found["对用户补贴总额53万元，申报响应能力170000千瓦时。"], lambda w: True, question=per_kwh)
    assert eligible(amount, found["响应补贴标准为2元/千瓦时。"], lambda w: True, question=per_kwh)
    assert eligible(amount, found["对用户补贴总额53万元，申报响应能力170000千瓦时。"], lambda w: True,
                    question="需求响应补贴总额多少？")


def test_a_number_asked_in_a_unit_is_a_figure_in_that_unit():
    slot = slots_of("专家入库有没有年龄上限，超过多少岁不能入库")[-1]
    assert slot.unit == "岁"
    found = _sentences("拟入库专家名单公示期为5个工作日。", "入库专家年龄一般不超过70周岁。")
    assert value_of(slot, found["拟入库专家名单公示期为5个工作日。"]) is None
    assert value_of(slot, found["入库专家年龄一般不超过70周岁。"]) == "70周岁"
    assert q.in_unit("30㎡", "平方米") and not q.in_unit("30米", "平方米")
    # Things counted by their own word (多少家企业) are not counted by 个 (三个做优做强).
    assert q.asked_unit("到2030年要培育多少家重点企业？") == "家" and q.asked_unit("培育多少个先导区") is None
    assert q.in_unit("20户", "家") and not q.in_unit("三个", "家")
    # How old (多大 of a person, 年龄多少) is asked in years of age; how large a thing is, not.
    assert q.asked_unit("小孩放烟花要大人陪着吗，多大以下") == "岁"
    assert q.asked_unit("申请人年龄要多大") == "岁" and q.asked_unit("房子面积多大") is None


def test_a_size_asked_is_not_answered_by_a_share_of_it():
    found = _sentences("数字经济核心产业增加值占GDP比重提升至7.5%。", "规上工业增加值达到120亿元，增长8%。")
    size = slots_of("规上工业增加值目标是多少？")[0]
    assert size.kind == q.QUANTITY
    assert value_of(size, found["数字经济核心产业增加值占GDP比重提升至7.5%。"]) is None
    assert value_of(size, found["规上工业增加值达到120亿元，增长8%。"]) == "120亿元"
    share = Slot(q.RATE, "增加值占GDP比重是多少", "比重")
    assert value_of(share, found["数字经济核心产业增加值占GDP比重提升至7.5%。"]) == "7.5%"


def test_how_often_is_answered_by_a_period_stated_as_a_frequency():
    found = _sentences("评估内容包括见习人员留用率（须签订一年以上劳动合同）。", "市就业服务机构每两年对见习基地进行评估。")
    slot = slots_of("多久对见习基地评估一次？")[0]
    assert slot.kind == q.DURATION
    assert value_of(slot, found["评估内容包括见习人员留用率（须签订一年以上劳动合同）。"]) is None
    assert value_of(slot, found["市就业服务机构每两年对见习基地进行评估。"]) == "每两年"


def test_whether_a_thing_exists_asked_beside_its_value_is_asked_by_the_value():
    assert _kinds("有没有具体的资金补贴标准，补多少") == [(q.AMOUNT, "补贴")]
    # Whether another thing is so stays its own slot.
    assert [s.kind for s in slots_of("有后补助吗？一年多少")] == [q.YESNO, q.QUANTITY]


def test_a_year_stated_before_in_the_clause_is_the_candidates_year():
    found = _sentences("到2027年，建成先导区35个；培育领军企业20家。到2030年，培育领军企业50家。")
    assert governing_year(found["到2030年，培育领军企业50家。"]) == "2030"
    later = next(c for t, c in found.items() if t.startswith("培育领军企业20家"))
    assert governing_year(later) == "2027"


# --- the fitted scorer ----------------------------------------------------------------------------


def test_the_shipped_scorer_matches_the_features_and_gives_probabilities_and_thresholds():
    scorer = Scorer.load()
    assert len(scorer.weights) == len(NAMES) == len(scorer.mean) == len(scorer.scale)
    assert 0 < scorer.threshold("lookup") < 1 and 0 < scorer.slot_threshold < 1
    assert scorer.fitted, "the file says what it was fitted on"
    p = scorer.probability(scorer.mean)
    assert 0 < p < 1
    # Moving one standardised feature along its weight raises the probability.
    i = max(range(len(NAMES)), key=lambda j: abs(scorer.weights[j]))
    x = list(scorer.mean)
    x[i] += scorer.scale[i] * (1 if scorer.weights[i] > 0 else -1)
    assert scorer.probability(x) > p


def test_the_shipped_answerability_model_turns_a_surer_best_candidate_into_a_surer_answer():
    scorer = Scorer.load()
    model = scorer.answerability
    assert model["features"] == ANSWERABILITY
    assert len(model["weights"]) == len(ANSWERABILITY) == len(model["mean"]) == len(model["scale"])
    middle = list(model["mean"])
    surer = list(middle)
    surer[ANSWERABILITY.index("top_logit")] += 2 * model["scale"][ANSWERABILITY.index("top_logit")]
    assert 0 < scorer.answerable(middle, 0.5) < scorer.answerable(surer, 0.5) < 1
    # Without the model, the best candidate's probability stands for the answer's.
    assert Scorer(scorer.weights, scorer.mean, scorer.scale).answerable(middle, 0.37) == 0.37


def test_a_scorer_fitted_on_other_answerability_features_is_refused(tmp_path):
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["answerability"]["features"] = data["answerability"]["features"][:-1]
    path = tmp_path / "scorer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="answerability"):
        Scorer.load(path)


def test_a_scorer_fitted_on_other_features_is_refused(tmp_path):
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    path = tmp_path / "scorer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="fit_scorer"):
        Scorer.load(path)


def test_a_saved_scorer_loads_as_it_was(tmp_path):
    scorer = Scorer([0.5] * len(NAMES), [0.0] * len(NAMES), [1.0] * len(NAMES), {"default": 0.3, "list": 0.2},
                    0.1, {"on": "test"})
    scorer.save(tmp_path / "s.json")
    again = Scorer.load(tmp_path / "s.json")
    assert again == scorer
    assert again.threshold("list") == 0.2 and again.threshold("compare") == 0.3


def test_an_answer_carries_the_scorers_confidence_and_the_api_shows_it():
    composer = composer_over(retrieved_clause(1, "某市促进产业发展若干措施", ["三、支持措施", "（一）"],
                                              "对首次认定的高新技术企业，给予一次性奖励30万元。"))
    question = "首次认定的高新技术企业奖励多少钱？"
    answer = composer.compose(question, composer.retriever.retrieve(question))
    assert answer.answered and "30万元" in answer.answer
    assert answer.confidence is not None and 0 < answer.confidence <= 1
    assert answer.public()["confidence"] == round(answer.confidence, 3)


# --- follow-ups ---------------------------------------------------------------------------------


def _same_doc(r, doc_id: str):
    return r.model_copy(update={"clause": r.clause.model_copy(update={"doc_id": doc_id})})


def test_a_follow_up_that_asks_a_thing_of_its_own_replaces_the_slots_before():
    from assistant.answering.frame import Conversation

    composer = composer_over(retrieved_clause(1, "某市商业航天行动计划", ["一、主要目标"], "形成年产50发商业火箭的能力。"))
    standalone = "商业航天计划火箭年产能目标？ 谁来统筹推进？"
    assert [s.kind for s in composer.frame(standalone).slots] == [q.QUANTITY, q.WHO]
    asked = Conversation(anchors=["c1"], asked="谁来统筹推进？")
    assert [s.kind for s in composer.frame(standalone, conversation=asked).slots] == [q.WHO]
    # A follow-up that only names a new subject keeps the question before's slots.
    subject = Conversation(anchors=["c1"], asked="那大型甘蔗收获机呢？")
    kept = [s.kind for s in composer.frame("烘干机补贴限额多少？大型甘蔗收获机", conversation=subject).slots]
    assert kept == [s.kind for s in composer.frame("烘干机补贴限额多少？大型甘蔗收获机").slots] == [q.QUANTITY]


def test_a_follow_up_is_also_asked_in_its_own_words_of_the_documents_under_discussion():
    from assistant.answering.frame import Conversation

    target = _same_doc(retrieved_clause(1, "某市商业航天行动计划", ["一、主要目标"], "形成年产50发商业火箭的能力。"), "plan")
    duty = _same_doc(retrieved_clause(2, "某市商业航天行动计划", ["三、保障措施"],
                                      "市推进办会同相关部门统筹推进计划实施。"), "plan")
    other = retrieved_clause(3, "某区低空经济措施", ["一、总则"], "区发展改革委负责统筹推进低空经济发展。")
    composer = composer_over(target, duty, other)
    frame = composer.frame("商业航天计划火箭年产能目标？ 谁来统筹推进？",
                           conversation=Conversation(anchors=["c1"], asked="谁来统筹推进？"))
    pool = composer.followup_pool(frame, [target])
    assert [r.clause.chunk_id for r in pool] == ["c1", "c2"]  # the other document's clause is not added
    # Outside a conversation the pool is what retrieval found.
    assert composer.followup_pool(composer.frame("谁来统筹推进？"), [target]) == [target]
    # When the previous answer's quotes were not found again, the document under discussion is
    # the one the standalone question finds first.
    frame = composer.frame("商业航天计划火箭年产能目标？ 谁来统筹推进？",
                           conversation=Conversation(anchors=[], asked="谁来统筹推进？"))
    assert [r.clause.chunk_id for r in composer.followup_pool(frame, [target])] == ["c1", "c2"]


def test_a_follow_up_that_asks_a_thing_of_its_own_is_scored_on_its_own_words():
    from assistant.answering.composer import asks_its_own
    from assistant.answering.frame import Conversation

    carried = _same_doc(retrieved_clause(1, "某省人工智能行动方案", ["二、重点方向"],
                                         "行业主管部门分工负责，落实十大重点方向任务。"), "plan")
    duty = _same_doc(retrieved_clause(2, "某省人工智能行动方案", ["四、保障措施"],
                                      "强化省人工智能产业推进组统筹、协调作用。"), "plan")
    composer = composer_over(carried, duty)
    asked = Conversation(anchors=["c1"], asked="谁负责统筹？")
    assert asks_its_own(asked) and not asks_its_own(Conversation(anchors=["c1"], asked="那成都呢？"))
    frame = composer.frame("人工智能十大重点方向，谁负责统筹？", conversation=asked)
    (slot, rows), = composer.scored(frame, [carried, duty])
    # The words carried from the question before (重点方向) no longer pick the sentence.
    assert rows[0][1].text.startswith("强化省人工智能产业推进组")
    alone = composer.frame("人工智能十大重点方向，谁负责统筹？")
    (slot, rows), = composer.scored(alone, [carried, duty])
    assert rows[0][1].text.startswith("行业主管部门")


def test_a_word_that_only_ends_like_a_body_names_no_unit():
    assert not q.states_type("面向未来产业布局建设未来技术学院、现代产业学院。", q.WHO)
    assert q.states_type("由市科技局负责组织实施。", q.WHO)
    assert q.states_type("强化省人工智能产业推进组统筹、协调作用。", q.WHO)
    # A span after 向 that runs over a verb is no unit's name; a unit doing something is one.
    assert not q.states_type("面向国内外创新创业团队发榜新型研发机构。", q.WHO)
    assert q.states_type("申请人向区人力资源社会保障局提出申请。", q.WHO)


def test_the_value_given_first_is_the_one_stated_of_the_asked_thing():
    pool, view = _pool("一般补贴机具单机补贴限额原则上不超过5万元；烘干机单机补贴限额不超过12万元；"
                       "拖拉机单机补贴限额不超过25万元；大型甘蔗收获机单机补贴限额不超过40万元。")
    run = next(c for c in candidates(pool, view) if c.kind == RUN)
    assert value_of(slots_of("烘干机单机补贴限额多少")[0], run) == "12万元"
    assert value_of(slots_of("大型甘蔗收获机单机补贴限额多少")[0], run) == "40万元"


def test_a_titles_figure_is_no_amount_or_count_but_its_period_answers_how_long():
    pool, view = _pool("推动北斗时空信息产业规模达1000亿元。")
    clause = pool[0].clause
    title = Candidate(clause, 0, TITLE, "上海市北斗产业高质量发展三年行动计划（2021-2023年）", [])
    assert not eligible(Slot(q.QUANTITY, "产业规模目标是多少", "规模"), title, lambda w: False)
    assert eligible(Slot(q.DURATION, "这个计划实施几年"), title, lambda w: False)


def test_a_noun_shortened_as_people_say_it_is_read_as_the_documents_write_it():
    pool, _ = _pool("电动自行车应当登记。", "驾驶电动自行车应当佩戴头盔。", "电动自行车不得超速。")
    weights = composer_over(*pool).weights
    docs = [r.clause.doc_id for r in pool]
    assert weights.spelled_out("电动车超速罚多少", docs) == "电动自行车超速罚多少"
    # A word the documents use, or one they never spell out three times, stays as asked.
    assert weights.spelled_out("电动自行车超速罚多少", docs) == "电动自行车超速罚多少"
    assert weights.spelled_out("电瓶车超速罚多少", docs) == "电瓶车超速罚多少"


def test_a_run_of_function_characters_is_no_topic():
    assert not q.is_topic_term("内要") and q.is_topic_term("上牌") and q.is_topic_term("电动车")


def test_a_value_in_one_item_of_a_list_is_marked_and_weighed_by_that_item():
    from assistant.answering.features import vector
    from assistant.answering.terms import TermWeights

    composer = composer_over(retrieved_clause(1, "某市电动自行车管理规定", ["第二十二条"], "驾驶电动自行车。"))
    frame = composer.frame("驾驶电动自行车最低要几岁")
    slot = frame.slots[0]
    pool, view = _pool("驾驶电动自行车应当遵守下列规定：（一）主动避让行人；（二）限载一名十二周岁以下未成年人。",
                       "驾驶电动自行车的，驾驶人应当年满十六周岁。")
    found = candidates(pool, view)
    listed = next(c for c in found if c.kind == LEAD_IN)
    stated = next(c for c in found if c.kind == SENTENCE and "十六周岁" in c.text)
    topic = {"驾驶": 1.0, "电动自行车": 1.0}

    def features(cand):
        x = vector(frame, slot, cand, topic, {}, TermWeights.coverage, set(), 1.0)
        return {n: x[NAMES.index(n)] for n in ("value_listed", "value_part_core")}

    # The lead-in's age sits in an item that speaks of neither word of the topic.
    assert features(listed) == {"value_listed": 1.0, "value_part_core": 0.0}
    assert features(stated) == {"value_listed": 0.0, "value_part_core": 1.0}


def test_an_item_of_a_list_speaks_of_what_its_lead_in_names():
    pool, view = _pool("在道路上驾驶电动自行车，应当遵守下列规定：（一）主动避让行人；（二）限载一名十二周岁以下未成年人；")
    item = next(c for c in candidates(pool, view) if c.kind == SENTENCE and "十二周岁" in c.text)
    assert "驾驶电动自行车，应当遵守下列规定：" in item.context
    other, _ = _pool("限载一名十二周岁以下未成年人。主动避让行人。")
    plain_item = next(c for c in candidates(other, _) if c.kind == SENTENCE and "十二周岁" in c.text)
    assert "规定" not in plain_item.context


def test_a_list_whose_one_item_states_the_value_answers_through_that_item_only():
    age = Slot(q.QUANTITY, "最低要几岁", unit="岁")
    pool, view = _pool("驾驶电动自行车应当遵守下列规定：（一）主动避让行人；（二）限载一名十二周岁以下未成年人；")
    found = candidates(pool, view)
    listed = next(c for c in found if c.kind == LEAD_IN)
    item = next(c for c in found if c.kind == SENTENCE and "十二周岁" in c.text)
    assert not eligible(age, listed, lambda w: True) and eligible(age, item, lambda w: True)
    # A list whose items state a value each (tiers of a grant) answers as a whole.
    amount = Slot(q.AMOUNT, "补贴多少")
    pool, view = _pool("补贴标准如下：（一）新建的，补贴20万元；（二）改建的，补贴10万元。")
    tiers = next(c for c in candidates(pool, view) if c.kind == LEAD_IN)
    assert eligible(amount, tiers, lambda w: True)
    # So does one whose lead-in states the value.
    pool, view = _pool("给予补贴10万元，用于以下方面：（一）设备购置；（二）人员培训。")
    lead = next(c for c in candidates(pool, view) if c.kind == LEAD_IN)
    assert eligible(amount, lead, lambda w: True)
