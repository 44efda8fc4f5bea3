"""Triage model: what routing can rely on, checked against the committed artifact."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from services.routing.assignment.domain.queues import DEFAULT_TRIAGE_THRESHOLD
from services.routing.tools import classify
from services.routing.triage.model import (
    DEFAULT_ARTIFACT,
    MODEL_VERSION,
    TriageModel,
    default_model,
    detect_language,
    normalise,
)
from services.routing.triage.rubric import situations


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


# ---------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("我的航班CA1501被取消了，需要改签", "zh-Hans"),
        ("我的航班CA1501被取消了，需要改票，請幫忙處理", "zh-Hant"),
        ("訂房的時候一直顯示錯誤，到底有沒有訂到？", "zh-Hant"),
        ("唔該，我想改聽日嘅機票", "zh-Hant"),
        ("NH920便が欠航になりました。振替便をお願いします。", "ja"),
        ("領収書再発行依頼", "ja"),
        ("至急。搭乗便欠航、代替便無、本日中移動必要", "ja"),
        ("My flight MU5137 was cancelled, can you rebook me?", "en"),
        ("booking一直pending，是不是没订成功？", "zh-Hans"),
        ("I'm stuck at 浦东机场, no one at the counter", "en"),
    ],
)
def test_the_language_the_request_is_written_in(text: str, lang: str) -> None:
    assert detect_language(text)[0] == lang


def test_a_mixed_message_is_tagged_less_confidently_than_a_plain_one(model: TriageModel) -> None:
    mixed = model.classify("my flight CA1501 被取消了 need refund asap")
    plain = model.classify("my flight CA1501 was cancelled, I need a refund asap")
    assert mixed.lang == plain.lang == "en"
    assert mixed.lang_confidence < plain.lang_confidence


@pytest.mark.parametrize(
    "text", ["항공편이 취소되었어요", "Bonjour, mon vol est annulé, que dois-je faire ?"]
)
def test_a_language_outside_the_four_is_other(text: str) -> None:
    assert detect_language(text)[0] == "other"


# ---------------------------------------------------------------- junk


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1234567890",
        "https://tripcare.example.com/b/88213",
        "???!!!",
        "。。。",
        "asdfgh",
        "lkjlkj lkjlkj",
        "zxcvbnm qwrtp",
    ],
)
def test_junk_is_other_at_a_confidence_that_asks_for_a_human_look(
    model: TriageModel, text: str
) -> None:
    triage = model.classify(text)
    assert (triage.category, triage.urgency, triage.sentiment) == ("other", "low", "neutral")
    assert triage.category_confidence < DEFAULT_TRIAGE_THRESHOLD
    assert triage.lang == "other"


@pytest.mark.parametrize(
    "text",
    [
        "hello?",
        "refund pls",
        "my bag",
        "booking 5MVSGB not found",
        "Wo ist mein Koffer?",
        "去迪拜的路上把我的高尔夫球包弄丢了，报告编号DXBEK22013",
    ],
)
def test_short_or_coded_messages_in_a_language_are_not_junk(model: TriageModel, text: str) -> None:
    assert not model.junk(text)


# ---------------------------------------------------------------- urgency rubric


@pytest.mark.parametrize(
    "text",
    [
        "My flight CA1501 was cancelled and I'm stranded at Narita, what do I do now?",
        "航班取消了，我被困在浦东机场，现在怎么办？",
        "班機取消了 我人在桃園機場 明天早上要開會 今天還有別班嗎",
        "NH920便が欠航になり、羽田空港で足止めされています。",
        "driver never showed up at arrivals, it's 1am and his phone is off",
        "my uber from the airport never showed and its 2am, what do i do",
        "到酒店前台说查不到我的预订，都快十二点了",
        "they refused to board me at the gate, no other flight tonight",
        "同僚がホテルで倒れて救急車で運ばれました",
    ],
)
def test_a_traveller_blocked_on_the_road_now_is_critical(model: TriageModel, text: str) -> None:
    assert model.classify(text).urgency == "critical"


def test_at_the_airport_alone_in_an_after_the_fact_report_is_not_critical(
    model: TriageModel,
) -> None:
    text = "Yesterday at the airport the check-in staff were rude to me. I want to complain."
    assert "critical" not in situations(normalise(text))
    assert model.classify(text).urgency != "critical"


INFORMATION_QUESTIONS = [
    "What's the max hotel rate we can book in London?",
    "do i need the original paper receipts or are photos enough",
    "出差补贴是按天算还是按晚算？",
    "國泰商務艙可以托運幾公斤？",
    "電子發票要去哪裡下載？",
    "出張規程で東京のホテルは1泊いくらまでですか？",
]


def test_questions_for_information_are_mostly_low(model: TriageModel) -> None:
    """Per-message accuracy is measured in docs/routing-eval.md (low is right for about
    85 % of real low messages); here the tendency, and never an alarm."""
    urgencies = [model.classify(text).urgency for text in INFORMATION_QUESTIONS]
    assert urgencies.count("low") * 3 >= len(urgencies) * 2, urgencies
    assert set(urgencies) <= {"low", "normal"}


def test_money_taken_without_a_ticket_and_repeat_complaints_are_at_least_high(
    model: TriageModel,
) -> None:
    for text in (
        "I was charged $1,284 two days ago and still have no ticket or confirmation",
        "This is the third time I'm writing about the same refund, nobody answers. Escalate.",
    ):
        assert model.classify(text).urgency in ("high", "critical")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stranded in Doha, connection missed", {"on_the_road", "critical"}),
        ("Flight to Chengdu tomorrow 8am is showing cancelled", {"disrupted_soon", "critical"}),
        ("I'm at the gate and boarding closes in 20 minutes", {"now", "soon"}),
        ("退票一个多月了钱还没退回来", {"repeat"}),
        ("不急，有空的时候帮我看看", {"no_rush"}),
        ("经费报销的流程是怎样的？", {"info", "info_only"}),
    ],
)
def test_the_rubric_reads_situations_in_every_language(text: str, expected: set[str]) -> None:
    assert expected <= situations(normalise(text))


def test_an_approval_stuck_is_not_a_traveller_stuck() -> None:
    assert "critical" not in situations(normalise("钉钉审批卡在领导那里两天了，今晚机票就涨价"))


# ---------------------------------------------------------------- categories


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Could you send me the invoice for order TC2024081512?", "invoice"),
        ("发票抬头开错了，麻烦重开一张专票", "invoice"),
        ("我的行李在浦东机场没出来", "baggage"),
        ("パスワードを忘れてログインできません", "account_access"),
        ("领导还没审批，我的出差申请能不能催一下", "approval"),
        ("信用卡被扣了兩次錢，麻煩退款", "billing"),
        (
            "wow. 45 minutes on hold and then the call drops. stellar service as always",
            ("service_complaint"),
        ),
    ],
)
def test_common_requests_land_in_their_category(
    model: TriageModel, text: str, category: str
) -> None:
    assert model.classify(text).category == category


def test_a_complaint_is_negative_and_warm_thanks_are_positive(model: TriageModel) -> None:
    assert model.classify("This is the worst service, nobody ever calls back!").sentiment == (
        "negative"
    )
    assert model.classify("谢谢，问题已经解决了，你们太棒了！").sentiment == "positive"


# ---------------------------------------------------------------- the contract


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
    assert triage.top_categories[0].probability == triage.category_confidence
    assert triage.model_version == MODEL_VERSION


def test_the_model_is_calibrated_on_real_text_not_left_at_its_raw_scale(
    model: TriageModel,
) -> None:
    assert all(head.temperature != 1.0 for head in model.heads.values())
    assert model.language_map != (1.0, 0.0)


def test_an_artifact_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="expected"):
        TriageModel({"version": "triage-v1", "heads": {}})


def test_the_committed_artifact_carries_its_metadata_and_stays_small() -> None:
    meta = json.loads(DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    assert meta["version"] == MODEL_VERSION
    assert meta["artifact_bytes"] == DEFAULT_ARTIFACT.stat().st_size
    assert DEFAULT_ARTIFACT.stat().st_size < 8_000_000


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


def test_the_single_text_path_gives_the_vectorizers_numbers(model: TriageModel) -> None:
    texts = [
        "航班取消了，我被困在浦东机场",
        "Where  is my\n refund?",
        "ホテルの予約が見つかりません",
        "ok",
        "",
    ]
    batch = model.probabilities([normalise(t) for t in texts])
    for i, text in enumerate(texts):
        norm = normalise(text)
        single = model.scored(norm, situations(norm))
        for field, matrix in batch.items():
            assert np.allclose(single[field], matrix[i], atol=1e-6), (text, field)
