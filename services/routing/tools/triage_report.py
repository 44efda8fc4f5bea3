"""The triage model's report: real text first, templates apart, always.

``measure`` scores a model on every pool that is not trained on; ``show`` prints it
(``make eval-routing``) and ``write`` renders ``docs/routing-eval.md``
(``make train-routing``), including the speed last measured by
``bench/triage_bench.py`` (``bench/results/triage.json``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from services.routing.tools.triage_data import Pools, Row, source_kind
from services.routing.tools.triage_eval import (
    Slice,
    acceptance,
    bands_table,
    calibration_by_slice,
    calibration_table,
    category_matrix,
    predict,
    score,
    slices,
    source_of,
    table,
    urgency_matrix,
)
from services.routing.triage.model import MODEL_VERSION, Embed, TriageModel

ROOT = Path(__file__).resolve().parents[3]
SPEED = ROOT / "bench" / "results" / "triage.json"


@dataclass
class CorrectionsEffect:
    rows: int
    held_out: int
    before: dict[str, Slice]
    after: dict[str, Slice]


@dataclass
class Report:
    real: Slice
    real_by_lang: list[Slice]
    real_by_source: list[Slice]
    templates: list[Slice]
    fresh: list[Slice] = field(default_factory=list)
    holdout: list[Slice] = field(default_factory=list)
    corrections: CorrectionsEffect | None = None
    first_stage: list[Slice] = field(default_factory=list)
    """The real-text set scored by the first stage alone (all, then by language)."""
    second_stage_share: float = 0.0
    """Share of the real-text set whose category the second stage read."""

    def acceptance(self) -> list[tuple[str, str, bool]]:
        return acceptance(self.real, self.real_by_lang)

    def accepted(self) -> bool:
        return all(ok for _, _, ok in self.acceptance())


def measure(
    model: TriageModel, pools: Pools, *, fresh: bool = False, embed: Embed | None = None
) -> Report:
    """Every pool that is not trained on; ``embed`` enables the model's second stage."""
    predicted = predict(model, pools.eval, embed)
    templates = predict(model, pools.templates_test, embed)
    report = Report(
        real=score("real text (all)", pools.eval, predicted),
        real_by_lang=slices("real", pools.eval, predicted, lambda r: r["lang"]),
        real_by_source=slices("real", pools.eval, predicted, source_of),
        templates=[
            score("templates and public sets (all)", pools.templates_test, templates),
            *slices("held-out split", pools.templates_test, templates, _template_slice),
        ],
    )
    if embed is not None and model.second_stage is not None:
        alone = predict(model, pools.eval)
        report.first_stage = [
            score("real text (all)", pools.eval, alone),
            *slices("real", pools.eval, alone, lambda r: r["lang"]),
        ]
        report.second_stage_share = sum(t.second_stage for t in predicted) / len(predicted)
    if fresh and pools.fresh:
        answers = predict(model, pools.fresh, embed)
        report.fresh = [
            score("fresh check (all)", pools.fresh, answers),
            *slices("fresh", pools.fresh, answers, lambda r: r["lang"]),
        ]
    if fresh and pools.holdout:
        answers = predict(model, pools.holdout, embed)
        report.holdout = [
            score("holdout (all)", pools.holdout, answers),
            *slices("holdout", pools.holdout, answers, lambda r: r["lang"]),
        ]
    return report


def _template_slice(row: Row) -> str:
    kind = source_kind(row)
    return f"{kind} {row['lang']}" if kind == "templates" else f"{kind} (CLINC150, Bitext)"


def corrections_effect(
    before: TriageModel, after: TriageModel, pools: Pools, embed: Embed | None = None
) -> CorrectionsEffect:
    """The real-text evaluation set (and held-out corrections) scored without and with them."""
    real = pools.eval
    effect = CorrectionsEffect(
        rows=sum(1 for r in pools.train if source_kind(r) == "corrections"),
        held_out=len(pools.corrections_test),
        before={"real text": score("real text", real, predict(before, real, embed))},
        after={"real text": score("real text", real, predict(after, real, embed))},
    )
    if pools.corrections_test:
        rows = pools.corrections_test
        effect.before["held-out corrections"] = score(
            "corrections", rows, predict(before, rows, embed)
        )
        effect.after["held-out corrections"] = score(
            "corrections", rows, predict(after, rows, embed)
        )
    return effect


def second_stage_lines(report: Report) -> list[str]:
    """Real-text category accuracy of the first stage alone and with the second stage."""
    if not report.first_stage:
        return []
    both = {s.name: s for s in (report.real, *report.real_by_lang)}
    lines = [
        "| slice | n | category acc, first stage alone | category acc, with second stage |",
        "| --- | --: | --: | --: |",
    ]
    for alone in report.first_stage:
        lines.append(
            f"| {alone.name} | {alone.n} | {alone.fields['category'].accuracy:.3f} "
            f"| {both[alone.name].fields['category'].accuracy:.3f} |"
        )
    share = f"{report.second_stage_share:.1%} of the real-text messages took the second stage."
    return [*lines, "", share]


# ---------------------------------------------------------------- printing


def show(report: Report, out: TextIO = sys.stdout) -> None:
    print("\n## Acceptance on the real-text evaluation set\n", file=out)
    for name, value, ok in report.acceptance():
        print(f"{'ok   ' if ok else 'BELOW'} {name}: {value}", file=out)
    print("\n## Real text, by language and by source\n", file=out)
    print("\n".join(table([report.real, *report.real_by_lang, *report.real_by_source])), file=out)
    if report.first_stage:
        print("\n## Second stage (e5) on real text\n", file=out)
        print("\n".join(second_stage_lines(report)), file=out)
    print("\n## Calibration on real text\n", file=out)
    print("\n".join(calibration_table(report.real)), file=out)
    print("\n".join(calibration_by_slice(report.real_by_lang)), file=out)
    print("\nurgency (rows: true, columns: predicted)", file=out)
    print("\n".join(urgency_matrix(report.real)), file=out)
    if report.fresh:
        print("\n## Fresh check (hand-written, looked at once)\n", file=out)
        print("\n".join(table(report.fresh)), file=out)
    if report.holdout:
        print("\n## Holdout (hand-written, scored only as a whole)\n", file=out)
        print("\n".join(table(report.holdout)), file=out)
    print("\n## Templates and public sets: held-out split (not real traveller text)\n", file=out)
    print("\n".join(table(report.templates)), file=out)


# ---------------------------------------------------------------- docs/routing-eval.md


def write(path: Path, report: Report, meta: dict[str, Any]) -> None:
    lines = [
        "# Routing triage model — evaluation",
        "",
        "Generated by `make train-routing` (`python -m services.routing.tools.train`); `make "
        "eval-routing` re-measures the committed artifact and prints the same numbers, real "
        "text first; after a change to the rubric's rules, `python -m "
        "services.routing.tools.train --eval --fresh --write-report` rewrites this page for "
        "the committed artifact. Data and pools: "
        "[data/routing/DATA_CARD.md](../data/routing/DATA_CARD.md); "
        "rubric and category definitions: [routing.md](routing.md#urgency-rubric).",
        "",
        *_model_lines(meta),
        "",
        "## Acceptance (hand-labelled real-text evaluation set)",
        "",
        "| bar | measured | |",
        "| --- | --- | --- |",
        *(f"| {n} | {v} | {'met' if ok else 'NOT met'} |" for n, v, ok in report.acceptance()),
        "",
        *_real_lines(report),
        *_corrections_lines(report.corrections),
        *_held_out_lines(report),
        *_template_lines(report.templates),
        *_speed_lines(),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _real_lines(report: Report) -> list[str]:
    real = report.real
    return [
        "## Real text, by language and by source",
        "",
        f"{real.n} messages labelled by hand with category, urgency and sentiment by the "
        "rubric: real messages from the five licensed sets and hand-written messages "
        "(source `hand-written`, for what no licensed set has: zh-Hant, complaints, "
        "stranded travellers). Never trained or calibrated on.",
        "",
        *table([real, *report.real_by_lang, *report.real_by_source]),
        "",
        "Language is scored on messages that have words (a bare number or link has none).",
        "",
        *(
            [
                "### Second stage (e5)",
                "",
                "The texts whose first-stage category confidence is below the threshold are "
                "read by the e5 head too; category accuracy without and with it:",
                "",
                *second_stage_lines(report),
                "",
            ]
            if report.first_stage
            else []
        ),
        "### Urgency confusion matrix (real text)",
        "",
        *urgency_matrix(real),
        "",
        "### Calibration (real text)",
        "",
        "Expected calibration error over ten equal-width confidence bins, and how often the "
        "model is right when it is at least 0.9 sure:",
        "",
        *calibration_table(real),
        "",
        "By language and by source:",
        "",
        *calibration_by_slice([*report.real_by_lang, *report.real_by_source]),
        "",
        "Confidence against accuracy, per field (predictions, mean confidence, share right):",
        "",
        *bands_table(real),
        "",
        "### Category confusion matrix (real text)",
        "",
        *category_matrix(real),
        "",
    ]


def _template_lines(templates: list[Slice]) -> list[str]:
    return [
        "## Templates and public sets (held-out split)",
        "",
        "Text composed from the project's templates (and CLINC150/Bitext), held out by "
        "template: how the model does on the kind of text it was mostly trained on. "
        "It says little about real travellers; the tables above do.",
        "",
        *table(templates),
        "",
        *calibration_by_slice(templates),
        "",
        "Urgency confusion matrix (templates and public sets):",
        "",
        *urgency_matrix(templates[0]),
        "",
    ]


def _held_out_lines(report: Report) -> list[str]:
    """The fresh check and the holdout: hand-written sets scored only as a whole."""
    lines: list[str] = []
    if report.fresh:
        lines += [
            "## Fresh check",
            "",
            "Hand-written messages kept aside while the model was built and scored once, "
            "at the end:",
            "",
            *table(report.fresh),
            "",
        ]
    if report.holdout:
        lines += [
            "Holdout: a second set of hand-written messages (15 per language, one per "
            "category), written before the second tuning pass and only ever scored as a "
            "whole, never read message by message while tuning:",
            "",
            *table(report.holdout),
            "",
        ]
    return lines


def _model_lines(meta: dict[str, Any]) -> list[str]:
    pools = meta["pools"]
    return [
        f"- model `{MODEL_VERSION}`: TF-IDF character 1–4-grams ({meta['features']:,}) plus "
        "the urgency rubric's situations, one linear SVM per field; softmax temperatures "
        f"fitted on real held-out text ({meta['temperatures']}); trained in "
        f"{meta['training_seconds']:.0f} s; artifact {meta['artifact_bytes'] / 1e6:.1f} MB",
        *_second_stage_meta(meta),
        f"- pools: train {pools['train']:,}, calibration {pools['calib']:,}, evaluation "
        f"{pools['eval']:,}, fresh {pools['fresh']:,}; {pools['dropped_as_evaluation_text']} "
        "training or calibration rows dropped because an evaluation message has their text",
        f"- scikit-learn {meta['sklearn']}, seed {meta['seed']}, data sha256 "
        f"`{meta['data_sha256'][:16]}…`",
    ]


def _second_stage_meta(meta: dict[str, Any]) -> list[str]:
    second = meta.get("second_stage")
    if not second:
        return []
    return [
        f"- second stage: `{second['embedding']}` query embeddings, a logistic regression "
        f"(C {second['C']:g}) on {second['trained_on']:,} real, hand-written and corrected "
        f"training messages, for texts whose first-stage category confidence is below "
        f"{second['below']:g}; the two stages' category probabilities averaged, temperature "
        f"{second['temperature']} fitted on the {second['calibrated_on']} calibration messages "
        "that take it",
        *(
            f"- second stage, {name} (for the same texts): a logistic regression on "
            f"{head['trained_on']:,} hand-labelled training messages, averaged with the first "
            f"stage, temperature {head['temperature']} fitted on {head['calibrated_on']} "
            "hand-labelled calibration messages"
            for name, head in second.get("fields", {}).items()
        ),
    ]


def _corrections_lines(effect: CorrectionsEffect | None) -> list[str]:
    lines = ["## Agents' corrections", ""]
    if effect is None:
        return [*lines, "No corrections in `data/routing/corrections.jsonl`.", ""]
    lines += [
        f"{effect.rows} corrections trained on (weight 3), {effect.held_out} held out. The same "
        "training without them, scored on the same sets:",
        "",
        "| evaluated on | measure | without corrections | with corrections |",
        "| --- | --- | --: | --: |",
    ]
    for where, before in effect.before.items():
        after = effect.after[where]
        for name in ("category", "urgency", "sentiment"):
            lines.append(
                f"| {where} | {name} accuracy | {before.fields[name].accuracy:.3f} "
                f"| {after.fields[name].accuracy:.3f} |"
            )
    return [*lines, ""]


def _speed_lines() -> list[str]:
    lines = ["## Speed", ""]
    if not SPEED.exists():
        return [*lines, "Not measured yet: run `python bench/triage_bench.py`.", ""]
    result = json.loads(SPEED.read_text(encoding="utf-8"))
    return [
        *lines,
        f"`{result['command']}` on {result['measured_at']} ({result['machine']}; load "
        f"average {result['load_average']} during the run):",
        "",
        "| measure | value | target |",
        "| --- | --: | --: |",
        *(f"| {name} | {value} | {target} |" for name, value, target in result["table"]),
        "",
    ]
