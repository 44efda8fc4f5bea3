"""The triage data's pools: what is measured is never learnt from, and says where it came from."""

from __future__ import annotations

from collections import Counter

import pytest

from services.routing.tools.triage_data import (
    HANDWRITTEN,
    LANGS,
    REAL,
    Pools,
    load_pools,
    overlap_key,
    read_handwritten,
    source_kind,
)


@pytest.fixture(scope="module")
def pools() -> Pools:
    return load_pools()


def test_no_evaluation_text_normalised_appears_in_training_or_calibration(pools: Pools) -> None:
    held_out = {overlap_key(r["text"]) for r in (*pools.eval, *pools.fresh, *pools.holdout)}
    learnt = {overlap_key(r["text"]) for r in pools.train}
    calibrated = {overlap_key(r["text"]) for r in pools.calib}
    assert not held_out & learnt
    assert not held_out & calibrated
    assert not calibrated & learnt


def test_the_comparison_ignores_case_script_spacing_digits_and_punctuation() -> None:
    assert overlap_key("OK, thanks!") == overlap_key("ok thanks")
    assert overlap_key("訂單 12345 取消了嗎？") == overlap_key("订单67890取消了吗")


def test_the_evaluation_set_is_large_enough_in_every_language(pools: Pools) -> None:
    per_language = Counter(r["lang"] for r in pools.eval)
    assert len(pools.eval) >= 600
    assert all(per_language[lang] >= 100 for lang in LANGS), per_language


def test_every_evaluation_row_was_labelled_by_hand_and_names_its_source(pools: Pools) -> None:
    assert all(r.get("labels") == "hand" for r in pools.eval)
    assert all(r.get("source") for r in pools.eval)
    kinds = Counter(source_kind(r) for r in pools.eval)
    assert kinds[HANDWRITTEN] > 0
    assert kinds["real"] > 0


def test_hand_written_messages_are_marked_as_such_in_every_pool() -> None:
    rows = read_handwritten(REAL / "handwritten")
    assert {r["pool"] for r in rows} == {"train", "calib", "eval", "fresh", "holdout"}
    assert all(r["source"] == HANDWRITTEN for r in rows)


def test_zh_hant_evidence_is_not_only_converted_simplified_text(pools: Pools) -> None:
    traditional = [r for r in pools.eval if r["lang"] == "zh-Hant"]
    converted = [r for r in traditional if "converted" in r["source"]]
    assert len(converted) * 2 < len(traditional)


def test_share_alike_derivatives_say_so_beside_them() -> None:
    notice = (REAL / "README.md").read_text(encoding="utf-8")
    for name in ("sgd_travel.jsonl", "jmultiwoz.jsonl"):
        assert (REAL / name).exists()
        assert name in notice
    assert "CC BY-SA 4.0" in notice
