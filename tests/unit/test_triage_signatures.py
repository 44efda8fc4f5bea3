"""A mail's signature and legal disclaimer are not the traveller's message: triage reads
the message above them ("notify the sender immediately" made a thank-you urgent, a
Japanese disclaimer's 禁じられています made it negative). The ticket keeps them.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model
from services.routing.triage.text import message_of
from tests.triage_pools import pooled


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


SIGNED = [
    (
        "Thanks, the new hotel booking went through fine.",
        "\n\n-- \nPriya Nair | Finance Director | Acme Ltd\nCONFIDENTIALITY NOTICE: This e-mail "
        "and any attachments are confidential and may be privileged. If you have received it "
        "in error, notify the sender immediately and delete it; any use, copying or "
        "disclosure is prohibited.",
    ),
    (
        "Thanks, the new hotel booking went through fine.",
        "\n\nPriya Nair\nThis message is confidential and intended only for the addressee. If "
        "you received it by mistake please tell us immediately and delete it. Unauthorised "
        "use is strictly prohibited.",
    ),
    (
        "My flight to Osaka is cancelled and I'm stuck at Pudong, I need a hotel tonight.",
        "\n\n-- \nKenji Mori\nSent from my iPhone",
    ),
    (
        "Can I expense a taxi from the airport to the hotel?",
        "\n\n--\nTom Becker\nSent from my iPhone\nThis email may contain confidential "
        "information. If you are not the intended recipient, you must not use it and must "
        "notify us immediately.",
    ),
    (
        "谢谢，新的酒店订好了。",
        "\n\n张伟\n免责声明：本邮件及其附件可能包含保密信息，仅供指定收件人使用。如您误收本邮件，"
        "请立即通知发件人并删除，严禁任何形式的使用、复制或传播。",
    ),
    (
        "謝謝，新的酒店訂好了。",
        "\n\n陳大文\n免責聲明：本郵件及其附件可能包含機密資料，僅供指定收件人使用。如閣下誤收本郵件，"
        "請立即通知寄件人並刪除，嚴禁任何形式的使用、複製或傳播。",
    ),
    (
        "ありがとうございます。新しいホテルの予約が取れました。",
        "\n\n山田太郎\nこのメールには機密情報が含まれている場合があります。誤って受信された場合は、"
        "直ちに送信者にご連絡の上、削除してください。無断での使用、複製、転送は固く禁じられています。",
    ),
]


@pytest.mark.parametrize(("message", "signature"), SIGNED)
def test_a_signature_and_disclaimer_do_not_change_the_triage(
    model: TriageModel, message: str, signature: str
) -> None:
    alone, signed = model.classify(message), model.classify(message + signature)

    assert (signed.category, signed.urgency, signed.sentiment) == (
        alone.category,
        alone.urgency,
        alone.sentiment,
    )
    read = message_of(message + signature)
    assert read.startswith(message)
    assert len(read) <= len(message) + 20  # the message and, at most, the sender's name


LOOKS_SIGNED = [
    "-- \nI am stranded at Narita, my flight was cancelled, please help",
    "Disclaimer: not sure this is the right desk, but my flight is cancelled.",
    "免责声明：我不确定找对了部门，但我的航班取消了。",
]


@pytest.mark.parametrize("text", LOOKS_SIGNED)
def test_a_message_that_starts_like_a_signature_is_read_whole(text: str) -> None:
    """With nothing above the signature's start, it is the traveller's message."""
    assert message_of(text) == text


def test_the_sentences_here_are_in_no_pool() -> None:
    written = [m for m, _ in SIGNED] + [m + s for m, s in SIGNED] + LOOKS_SIGNED
    assert not pooled(written)
