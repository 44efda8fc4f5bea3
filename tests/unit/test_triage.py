"""Triage model: what routing can rely on, checked against the committed artifact."""

from __future__ import annotations

import io
import json

import pytest

from services.routing import classify
from services.routing.triage import (
    DEFAULT_ARTIFACT,
    MODEL_VERSION,
    TriageModel,
    apply_urgency_signals,
    default_model,
    detect_language,
    normalise,
    urgency_signals,
)


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("我的航班CA1501被取消了，需要改签", "zh-Hans"),
        ("我的航班CA1501被取消了，需要改票，請幫忙處理", "zh-Hant"),
        ("訂房的時候一直顯示錯誤，到底有沒有訂到？", "zh-Hant"),
        ("唔該，我想改聽日嘅機票", "zh-Hant"),
        ("NH920便が欠航になりました。振替便をお願いします。", "ja"),
        ("My flight MU5137 was cancelled, can you rebook me?", "en"),
    ],
)
def test_each_of_the_four_languages_is_detected_and_traditional_is_told_from_simplified(
    model: TriageModel, text: str, lang: str
) -> None:
    assert model.classify(text).lang == lang


@pytest.mark.parametrize(
    "text", ["항공편이 취소되었어요", "Bonjour, mon vol est annulé, que dois-je faire ?", "12345"]
)
def test_a_language_outside_the_four_is_other(text: str) -> None:
    assert detect_language(text)[0] == "other"


@pytest.mark.parametrize(
    "text",
    [
        "My flight CA1501 was cancelled and I'm stranded at Narita, what do I do now?",
        "航班取消了，我被困在浦东机场，现在怎么办？",
        "NH920便が欠航になり、羽田空港で足止めされています。",
    ],
)
def test_a_stranded_traveller_is_critical(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert triage.category == "flight_disruption"
    assert triage.urgency == "critical"


@pytest.mark.parametrize(
    "text",
    [
        "Could you send me the invoice for order TC2024081512?",
        "invoice 验真失败，麻烦重新开一张",
        "發票抬頭錯了，請幫我重開",
        "領収書の宛名を会社名に変更してください",
    ],
)
def test_an_invoice_question_is_invoice(model: TriageModel, text: str) -> None:
    assert model.classify(text).category == "invoice"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我的行李在浦东机场没出来", "baggage"),
        ("パスワードを忘れてログインできません", "account_access"),
        ("The agent I spoke to was extremely rude and hung up on me.", "service_complaint"),
        ("领导还没审批，我的出差申请能不能催一下", "approval"),
        ("信用卡被扣了兩次錢，麻煩退款", "billing"),
    ],
)
def test_common_requests_land_in_their_category(
    model: TriageModel, text: str, category: str
) -> None:
    assert model.classify(text).category == category


def test_an_explicit_no_rush_makes_a_request_low(model: TriageModel) -> None:
    triage = model.classify("No rush, but could you send me last month's invoices?")
    assert triage.urgency == "low"


def test_a_complaint_is_negative_and_thanks_are_positive(model: TriageModel) -> None:
    assert model.classify("This is the worst service, nobody ever calls back!").sentiment == (
        "negative"
    )
    assert model.classify("谢谢，问题已经解决了，你们太棒了！").sentiment == "positive"


def test_a_batch_equals_single_calls(model: TriageModel) -> None:
    texts = ["我的航班延误了", "Where is my refund?", "ホテルの予約が見つかりません", "報帳被退件"]
    assert model.classify_batch(texts) == [model.classify(t) for t in texts]
    assert model.classify_batch([]) == []


def test_confidences_are_probabilities_and_the_top_three_are_ranked(model: TriageModel) -> None:
    triage = model.classify("I was charged twice for my hotel booking")
    for value in (
        triage.lang_confidence,
        triage.category_confidence,
        triage.urgency_confidence,
        triage.sentiment_confidence,
    ):
        assert 0.0 <= value <= 1.0
    probabilities = [s.probability for s in triage.top_categories]
    assert len(probabilities) == 3
    assert probabilities == sorted(probabilities, reverse=True)
    assert triage.top_categories[0].category == triage.category
    assert triage.model_version == MODEL_VERSION


def test_explicit_urgency_cues_override_the_model_only_where_they_mean_something() -> None:
    stranded = urgency_signals(normalise("I'm stranded at the airport, my flight is in 2 hours"))
    assert apply_urgency_signals("normal", "flight_disruption", stranded) == (
        "critical",
        "critical",
    )
    assert apply_urgency_signals("normal", "invoice", stranded)[0] == "normal"
    not_urgent = urgency_signals(normalise("不急，有空的时候帮我看看"))
    assert not_urgent == {"low"}
    assert apply_urgency_signals("high", "invoice", not_urgent) == ("low", "low")
    assert apply_urgency_signals("normal", "billing", urgency_signals("至急お願いします")) == (
        "high",
        "high",
    )


def test_an_artifact_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="expected"):
        TriageModel({"version": "triage-v0", "heads": {}})


def test_the_committed_artifact_carries_its_metadata() -> None:
    meta = json.loads(DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    assert meta["version"] == MODEL_VERSION
    assert meta["artifact_bytes"] == DEFAULT_ARTIFACT.stat().st_size
    assert DEFAULT_ARTIFACT.stat().st_size < 20_000_000


def test_the_cli_adds_the_triage_fields_and_keeps_the_input(model: TriageModel) -> None:
    source = io.StringIO(
        '{"text": "我的航班CA1501被取消了", "tenant": "acme", "channel": "wechat"}\n\n'
    )
    sink, errors = io.StringIO(), io.StringIO()
    assert classify.run(model, source, sink, errors) == 0
    row = json.loads(sink.getvalue())
    assert row["tenant"] == "acme"
    assert row["channel"] == "wechat"
    assert row["lang"] == "zh-Hans"
    assert row["category"] == "flight_disruption"
    for name in ("lang", "category", "urgency", "sentiment"):
        assert 0.0 <= row[f"{name}_confidence"] <= 1.0


def test_the_cli_reports_lines_it_cannot_read_and_classifies_the_rest(model: TriageModel) -> None:
    source = io.StringIO('not json\n{"no_text": 1}\n{"text": "Where is my invoice?"}\n')
    sink, errors = io.StringIO(), io.StringIO()
    assert classify.run(model, source, sink, errors) == 1
    assert "line 1" in errors.getvalue()
    assert "line 2" in errors.getvalue()
    assert [json.loads(line)["category"] for line in sink.getvalue().splitlines()] == ["invoice"]
