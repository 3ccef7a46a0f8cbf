"""Fit the answer scorer on development questions written by others, and choose its refusals.

    python evals/fit_scorer.py [--out assistant/answering/scorer.json] [--rows ROWS.json]

For every development question (``../shared/dev-world`` questions and conversations, and the
dev split of ``evals/gold.jsonl``) the question is read as the assistant reads it (follow-ups
made standalone from the earlier turns), retrieved, scoped and cut into candidates; each
(slot, candidate) gets its feature vector and a label: positive when the candidate states an
expected fact of the slot's type and its clause holds the gold evidence. A logistic regression
(scikit-learn) is fitted on the standardised features, its regularisation chosen by 5-fold
cross-validation over questions; then, for each operation, the refusal threshold is the middle
of the probabilities that handle as many of these questions right as the best one, within one
standard error (an answerable one answered by a
positive candidate, an unanswerable one refused), each question scored out of fold — by the
model fitted without its fold, as a question the assistant has never seen would be.
The test split of the gold, the field gold and the held-out set are never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from assistant.answering.composer import ExtractiveComposer
from assistant.answering.features import ANSWERABILITY, NAMES
from assistant.answering.frame import COMPARE, WHICH_DOCS
from assistant.answering.scorer import WEIGHTS_FILE, Scorer
from assistant.evaluation import GoldItem, doc_paths, holds, load_gold
from assistant.language.text import normalize
from assistant.service import Assistant
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WORLD = ROOT.parent / "shared" / "dev-world"
#: (gold file, the folder its documents are in or None for the bundled corpus, index folder).
SETS = [
    (WORLD / "questions.jsonl", WORLD / "docs", ".assistant/fit/world"),
    (WORLD / "conversations.jsonl", WORLD / "docs", ".assistant/fit/world"),
    (ROOT / "evals" / "gold.jsonl", None, ".assistant/fit/corpus"),
]
#: Regularisation of the logistic regression (inverse strength), chosen by 5-fold
#: cross-validation over questions among these values.
C_GRID = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def label(item: GoldItem, slot, cand) -> int:
    """1 when the candidate states an expected fact for the slot and its clause holds the
    gold evidence (a fact also stated in an unrelated clause does not count)."""
    if not item.answerable or not item.expected:
        return 0
    text = normalize(cand.text)
    clause = normalize(cand.clause.text)
    if item.evidence and not any(holds(e, clause) for e in item.evidence):
        return 0
    from assistant.answering import questions as q

    groups = item.expected
    if slot.kind in q.VALUE_TYPES and slot.kind != q.WHO:
        typed = [g for g in groups if any(q.states_type(a, slot.kind) for a in g)]
        groups = typed or groups
    held = [any(normalize(a) in text for a in g) for g in groups]
    if slot.kind in ("list", "condition"):
        return int(sum(held) >= max(1, len(held) / 2))
    return int(any(held))


def rows_of(assistant: Assistant, composer: ExtractiveComposer, items: list[GoldItem]):
    """(question id, operation, answerable, [(slot index, label, features)]) per question."""
    out = []
    history: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        turns = history[item.conversation] if item.conversation else []
        _, _, standalone, _ = assistant._understood(item.question, None, turns or None)
        conversation = assistant.conversation(item.question, turns or None)
        if item.conversation:
            # The earlier turn answered as the gold says: its evidence is what it quoted.
            turns += [{"role": "user", "content": item.question},
                      {"role": "assistant", "content": "。".join(item.evidence)}]
        # Candidates of a deeper retrieval than an answer's: more rows to learn from.
        retrieved = assistant.retriever.retrieve(standalone, k=10)
        frame = composer.frame(standalone, conversation=conversation)
        if frame.operation in (WHICH_DOCS, COMPARE):
            continue
        retrieved = composer.followup_pool(frame, retrieved)
        scope = composer.scoper.scope(frame.analysis, retrieved)
        if scope.missing:
            continue
        rows = []
        for i, (slot, scored) in enumerate(composer.scored(frame, scope.retrieved, retrieved)):
            rows += [(i, label(item, slot, cand), x) for _, cand, x in scored]
        out.append((item.id, frame.operation, item.answerable and bool(item.expected), rows))
    return out


class RecordingComposer(ExtractiveComposer):
    """The extractive composer, keeping each question's operation and answerability features
    (by the question it was asked as) for fitting the answerability model."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signals: dict[str, tuple[str, list[float]]] = {}

    def _answer(self, frame, scope, book, retrieved=None):
        out = super()._answer(frame, scope, book, retrieved)
        if frame.signals is not None:
            self.signals[frame.question] = (frame.operation, frame.signals)
        return out


def development(scorer: Scorer, composer_class=ExtractiveComposer):
    """For each development set: (gold file, its dev items, an assistant over its documents
    answering with ``scorer``, that assistant's composer)."""
    for gold, docs, index in SETS:
        items = [i for i in load_gold(gold) if i.split != "test"]
        settings = Settings(index_dir=ROOT / index, corpus_dir=docs or ROOT / "corpus", llm_provider="none")
        assistant = Assistant(settings)
        assistant.ingest(doc_paths(items, docs) if docs else None)
        composer = composer_class(assistant.retriever, scorer=scorer)
        assistant._composer = composer
        yield gold, items, assistant, composer


def collect(scorer: Scorer) -> list:
    """The rows of every development question (see :func:`rows_of`)."""
    data = []
    for gold, items, assistant, composer in development(scorer):
        got = rows_of(assistant, composer, items)
        print(f"{gold.name}: {len(got)} questions", file=sys.stderr)
        data += got
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--rows", type=Path, default=None,
                        help="Keep the collected feature rows in this file and read them from it "
                             "when it exists (refitting without reading the questions again).")
    parser.add_argument("--no-answers", action="store_true",
                        help="Keep the thresholds chosen on candidates (do not answer the questions).")
    parser.add_argument("--answers", type=Path, default=None,
                        help="Keep the development answers' outcomes in this file and read them from "
                             "it when it exists (refitting the answerability model alone).")
    args = parser.parse_args()
    if args.rows is not None and args.rows.exists():
        data = json.loads(args.rows.read_text(encoding="utf-8"))
    else:
        n = len(NAMES)
        data = collect(Scorer([0.0] * n, [0.0] * n, [1.0] * n))
        if args.rows is not None:
            args.rows.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    scorer = fit(data)
    if not args.no_answers:
        # The refusals are chosen on the answers themselves (see choose_by_answers).
        thresholds, report, scorer.answerability = choose_by_answers(scorer, args.answers)
        scorer.thresholds = thresholds
        on_candidates = scorer.fitted["thresholds"]
        scorer.fitted["thresholds"] = {
            "slot": on_candidates.pop("slot"), "ranking": on_candidates.pop("ranking"),
            "on_candidates (not used)": on_candidates, **report}
    scorer.save(args.out)
    print(json.dumps(scorer.fitted, ensure_ascii=False, indent=1))
    for name, w in sorted(zip(NAMES, scorer.weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"{name:20s} {w:+.3f}")


def fit(data: list) -> Scorer:
    """The scorer fitted on ``data`` (see :func:`rows_of`): the regularisation by 5-fold
    cross-validated log loss over questions, the weights on all of them, and the thresholds on
    out-of-fold probabilities — each question scored by a model that did not see it, as the
    assistant will score questions it has never seen."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.array([x for _, _, _, rows in data for _, _, x in rows])
    y = np.array([lab for _, _, _, rows in data for _, lab, _ in rows])
    groups = np.array([k for k, (_, _, _, rows) in enumerate(data) for _ in rows])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    best_c, best_ll, _, best_oof = min(cross_validated(Z, y, groups % 5, max_iter=2000), key=lambda t: t[1])
    model = LogisticRegression(C=best_c, max_iter=2000).fit(Z, y)
    weights = [float(model.intercept_[0])] + [float(w) for w in model.coef_[0][1:]]
    # The bias feature is constant (standardised to 0): the intercept takes its weight.
    scorer = Scorer(weights, [0.0] + list(map(float, mean[1:])), [1.0] + list(map(float, scale[1:])))
    scored = _scored(data, list(map(float, best_oof)))
    thresholds, report = choose_thresholds(scored)
    scorer.slot_threshold, report["slot"] = slot_threshold(scored)
    report["ranking"] = ranking_report(scored)
    scorer.thresholds = thresholds
    scorer.fitted = {"questions": len(data), "candidates": int(len(y)), "positives": int(y.sum()),
                     "C": best_c, "cv_log_loss": round(best_ll, 4), "thresholds": report}
    return scorer


def choose_by_answers(scorer: Scorer, answers: Path | None = None) -> tuple[dict[str, float], dict, dict]:
    """The answerability model and, per operation, the refusal threshold that makes the most
    development answers right as the evaluation scores them (an answerable question answered
    with all its facts, an unanswerable one refused).

    Every question is answered once with no threshold and its answer scored; its answerability
    features are kept. A logistic regression over those features learns whether the answer is
    right (its regularisation by 5-fold cross-validated log loss); each question's probability
    is then taken out of fold, and at a threshold t an answer below t becomes a refusal. The
    middle of the best range is taken. ``answers`` keeps the answered outcomes (read from it
    when it exists)."""
    if answers is not None and answers.exists():
        outcomes, fixed = json.loads(answers.read_text(encoding="utf-8"))
    else:
        outcomes, fixed = answer_all(scorer)
        if answers is not None:
            answers.write_text(json.dumps([outcomes, fixed]), encoding="utf-8")
    return fit_answerability(outcomes, fixed)


def answer_all(scorer: Scorer) -> tuple[list, list]:
    """Every development question answered with ``scorer`` at no threshold: (operation,
    answerability features or None when refused anyway, right, answerable) per question the
    scorer decides, and whether each other question (a comparison, a header detail) is right."""
    from assistant.evaluation import run_eval

    open_scorer = Scorer(scorer.weights, scorer.mean, scorer.scale, {"default": 0.0},
                         scorer.slot_threshold, scorer.fitted)
    outcomes = []  # (operation, features, right when answered, answerable, question id)
    fixed = []
    for gold, items, assistant, composer in development(open_scorer, RecordingComposer):
        records = run_eval(assistant, items, k=10)["records"]
        for item, rec in zip(items, records, strict=True):
            answerable = item.answerable and bool(item.expected)
            right = rec["scores"].get("right")
            if right is None:
                continue
            kept = composer.signals.get(rec.get("understood") or item.question)
            if rec.get("confidence") is None or kept is None:
                fixed.append(float(right))
                continue
            op, features = kept
            # Refused even at no threshold (no candidate at all): right exactly when unanswerable.
            outcomes.append((op, features if rec["answered"] else None, float(right), answerable, item.id))
        print(f"{gold.name}: answered", file=sys.stderr)
    return outcomes, fixed


def fit_answerability(outcomes: list, fixed: list) -> tuple[dict[str, float], dict, dict]:
    """The answerability model fitted on the answered ``outcomes`` and the refusal thresholds
    chosen on its out-of-fold probabilities (see :func:`choose_by_answers`)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    decided = [o for o in outcomes if o[1] is not None]
    X = np.array([o[1] for o in decided])
    y = np.array([o[2] for o in decided])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    tried = cross_validated(Z, y, np.arange(len(y)) % 5, max_iter=5000)
    # A few hundred questions: the strongest regularisation within one standard error of the
    # best loss (the one-standard-error rule) rather than the best, which fits these questions'
    # quirks as much as what generalises.
    least = min(tried, key=lambda t: t[1])
    best_c, best_ll, _, oof = next(t for t in tried if t[1] <= least[1] + least[2])
    model = LogisticRegression(C=best_c, max_iter=5000).fit(Z, y)
    weights = [float(model.intercept_[0])] + [float(w) for w in model.coef_[0][1:]]
    model_data = {"features": ANSWERABILITY, "weights": weights,
                  "mean": [0.0] + list(map(float, mean[1:])), "scale": [1.0] + list(map(float, scale[1:]))}
    confidence = iter(map(float, oof))
    scored = [(op, next(confidence) if f is not None else None, r, ans) for op, f, r, ans, *_ in outcomes]
    grid = [i / 100 for i in range(5, 96)]
    thresholds, report = {}, {"answerability": {"questions": len(decided), "right_when_answered": round(float(y.mean()), 3),
                                                 "C": best_c, "cv_log_loss": round(best_ll, 4),
                                                 "auc": round(_auc(oof, y), 3)}}
    ops = sorted({o[0] for o in scored})
    for op in ops + ["default"]:
        qs = [o for o in scored if op == "default" or o[0] == op]

        def right(t: float, qs=qs) -> float:
            return sum(r if c is not None and c >= t else float(not ans) for _, c, r, ans in qs) / max(1, len(qs))

        t = _plateau_middle(grid, right, len(qs))
        thresholds[op] = t
        unans = [o for o in qs if not o[3]]
        ans = [o for o in qs if o[3]]
        report[f"answers_{op}"] = {
            "n": len(qs), "threshold": t, "right": round(right(t), 3), "right_at_0.05": round(right(0.05), 3),
            "answerable_answered": round(sum(c is not None and c >= t for _, c, _, _ in ans) / max(1, len(ans)), 3),
            "unanswerable_refused": round(sum(c is None or c < t for _, c, _, _ in unans) / max(1, len(unans)), 3)}
    report["answers_other"] = {"n": len(fixed), "right": round(sum(fixed) / max(1, len(fixed)), 3)}
    return thresholds, report, model_data


def cross_validated(Z, y, folds, max_iter: int) -> list[tuple]:
    """For each C of :data:`C_GRID`, a logistic regression scored by 5-fold cross-validation
    over ``folds``: (C, mean out-of-fold log loss, its standard error, out-of-fold probabilities)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    tried = []
    for c in C_GRID:
        pred = np.zeros(len(y))
        for f in range(5):
            model = LogisticRegression(C=c, max_iter=max_iter).fit(Z[folds != f], y[folds != f])
            pred[folds == f] = model.predict_proba(Z[folds == f])[:, 1]
        p = np.clip(pred, 1e-6, 1 - 1e-6)
        losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        tried.append((c, float(losses.mean()), float(losses.std() / np.sqrt(len(y))), pred))
    return tried


def _auc(scores, labels) -> float:
    """The area under the ROC curve of ``scores`` for the 0/1 ``labels``."""
    pos = [s for s, lab in zip(scores, labels, strict=True) if lab]
    neg = [s for s, lab in zip(scores, labels, strict=True) if not lab]
    pairs = [(a > b) + 0.5 * (a == b) for a in pos for b in neg]
    return sum(pairs) / max(1, len(pairs))


def _scored(data: list, probs: list[float]) -> list:
    """``data`` with each row's features replaced by its (out-of-fold) probability:
    (operation, answerable, [(slot index, label, probability)]) per question."""
    out, at = [], 0
    for _, op, answerable, rows in data:
        out.append((op, answerable, [(i, lab, probs[at + j]) for j, (i, lab, _) in enumerate(rows)]))
        at += len(rows)
    return out


def _plateau_middle(grid: list[float], right, n: int) -> float:
    """The middle of the thresholds that handle about as many of ``n`` cases right as the
    best: within one standard error of the best share (the rule that chose C). The exact best
    is often a single threshold one question away from its neighbours, which another sample
    of questions would move."""
    scores = [right(t) for t in grid]
    best = max(scores)
    se = (best * (1 - best) / max(1, n)) ** 0.5
    top = [t for t, sc in zip(grid, scores, strict=True) if sc >= best - se]
    return top[len(top) // 2]


def ranking_report(scored: list) -> dict:
    """How well the scorer ranks and separates (out of fold): of the answerable questions with
    a positive candidate, the share whose best candidate is positive; and the area under the
    ROC curve of the best probability, answerable (with a positive) against unanswerable."""
    tops, pos_p, neg_p, reachable = [], [], [], 0
    for _, answerable, rows in scored:
        ranked = sorted(((p, lab) for _, lab, p in rows), reverse=True)
        if not ranked:
            continue
        if answerable and any(lab for _, lab in ranked):
            reachable += 1
            tops.append(ranked[0][1])
            pos_p.append(ranked[0][0])
        elif not answerable:
            neg_p.append(ranked[0][0])
    auc = _auc(pos_p + neg_p, [1] * len(pos_p) + [0] * len(neg_p))
    return {"answerable_with_positive": reachable, "top1_positive": round(sum(tops) / max(1, len(tops)), 3),
            "answerability_auc": round(auc, 3)}


def slot_threshold(scored: list) -> tuple[float, dict]:
    """The probability at which a question's further slots (beyond its best one) are answered:
    the middle of those that get most of them right (answered by a positive candidate, or left
    open when their best candidate is not one), on the answerable questions that ask several
    things."""
    further = []
    for _, answerable, rows in scored:
        by_slot: dict[int, tuple[float, int]] = {}
        for i, lab, p in rows:
            if i not in by_slot or p > by_slot[i][0]:
                by_slot[i] = (p, lab)
        if answerable and len(by_slot) >= 2:
            further += sorted(by_slot.values(), reverse=True)[1:]
    grid = [i / 100 for i in range(1, 96)]

    def right(t: float) -> float:
        return sum((p >= t and lab) or (p < t and not lab) for p, lab in further) / max(1, len(further))

    t = _plateau_middle(grid, right, len(further))
    return t, {"n": len(further), "threshold": t, "right": round(right(t), 3)}


def choose_thresholds(scored: list) -> tuple[dict[str, float], dict]:
    """Per operation (and overall as ``default``), the refusal threshold that handles most
    questions right (the middle of the range that does)."""
    best_by_q = []
    for op, answerable, rows in scored:
        top = max(((p, lab) for _, lab, p in rows), default=(0.0, 0))
        best_by_q.append((op, answerable, top[0], top[1]))
    thresholds, report = {}, {}
    for op in sorted({b[0] for b in best_by_q}) + ["default"]:
        qs = [b for b in best_by_q if op == "default" or b[0] == op]
        grid = [i / 100 for i in range(5, 96)]

        def right(t: float, qs=qs) -> float:
            ok = [(ans and p >= t and lab) or (not ans and p < t) for _, ans, p, lab in qs]
            return sum(ok) / len(ok)

        t = _plateau_middle(grid, right, len(qs))
        thresholds[op] = t
        answerable = [b for b in qs if b[1]]
        unanswerable = [b for b in qs if not b[1]]
        report[op] = {"n": len(qs), "threshold": t, "right": round(right(t), 3),
                      "answerable_answered": round(sum(p >= t for _, _, p, _ in answerable) / max(1, len(answerable)), 3),
                      "unanswerable_refused": round(sum(p < t for _, _, p, _ in unanswerable) / max(1, len(unanswerable)), 3)}
    return thresholds, report


if __name__ == "__main__":
    main()
