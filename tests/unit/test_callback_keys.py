"""Channel credentials: a key that is not an AES key is refused when set, never a 500 later;
a signed callback is taken only with a fresh timestamp, URL checks included."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError
from wechatpy.crypto import PrpCrypto, _get_signature
from wechatpy.utils import WeChatSigner

from services.intake.channel_config import ChannelConfigIn
from services.intake.wechat_crypto import (
    CallbackRefused,
    ChannelKeys,
    dingtalk_decrypt,
    wechat_check,
    wechat_decrypt,
    wecom_decrypt,
    wecom_verify_url,
)

GOOD_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
NOW_S = 1_790_000_000.0
NOW = str(int(NOW_S))
KEYS = ChannelKeys(token="qa-token", encoding_aes_key=GOOD_KEY, receiver_id="corp-1")
STALE = ["1000", "abc", "-5", "nan", "1e9", " 1790000000", "9" * 5000, str(int(NOW_S) + 3600)]
"""Signed correctly, yet no fresh timestamp: long past, not a number, an hour off."""


@pytest.mark.parametrize("key", ["!" * 43, "é" * 43, "a" * 42 + "=", " " * 43])
def test_an_encoding_aes_key_that_is_not_base64_is_refused_when_set(key: str) -> None:
    with pytest.raises(ValidationError, match="EncodingAESKey"):
        ChannelConfigIn.model_validate(
            {"token": "tok", "encoding_aes_key": key, "receiver_id": "wx1"}
        )


def test_a_base64_encoding_aes_key_is_taken() -> None:
    config = ChannelConfigIn.model_validate(
        {"token": "tok", "encoding_aes_key": GOOD_KEY, "receiver_id": "wx1"}
    )
    assert config.encoding_aes_key.get_secret_value() == GOOD_KEY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("token", "callback-token "),
        ("token", " callback-token"),
        ("receiver_id", "wx0123456789abcdef "),
        ("receiver_id", "\u3000ww-corp-0042"),
        ("app_secret", "robot-secret "),
    ],
)
def test_a_pasted_credential_with_a_space_at_either_end_is_refused_when_set(
    field: str, value: str
) -> None:
    """Copied from the platform's console with the space after it, it was stored as sent (201)
    and every callback was then a 403: the token signs, the receiver id is checked inside the
    ciphertext, and neither ever holds a space; so it is refused when set, naming the field."""
    body = {"token": "tok", "encoding_aes_key": GOOD_KEY, "receiver_id": "wx1", field: value}

    with pytest.raises(ValidationError) as refused:
        ChannelConfigIn.model_validate(body)

    [error] = refused.value.errors()
    assert error["loc"] == (field,)
    assert "space" in error["msg"]


@pytest.mark.parametrize("key", ["!" * 43, "é" * 43, "a" * 43])
def test_a_stored_key_that_is_no_aes_key_makes_callbacks_refusals(key: str) -> None:
    keys = ChannelKeys(token="tok", encoding_aes_key=key, receiver_id="wx1")
    body = b"<xml><Encrypt>abc</Encrypt></xml>"
    with pytest.raises(CallbackRefused):
        wecom_verify_url(keys, "\U000f3515\u00e9", NOW, "", "b\U000a3237", NOW_S)
    with pytest.raises(CallbackRefused):
        wecom_decrypt(keys, body, "sig", NOW, "n", NOW_S)
    with pytest.raises(CallbackRefused):
        wechat_decrypt(keys, body, "sig", NOW, "n")


def wechat_signature(timestamp: str, nonce: str) -> str:
    signer = WeChatSigner()
    signer.add_data(KEYS.token, timestamp, nonce)
    return str(signer.signature)


def encrypted(plain: str) -> str:
    return PrpCrypto(base64.b64decode(GOOD_KEY + "=")).encrypt(plain, KEYS.receiver_id).decode()


def test_a_signed_wechat_url_check_passes_with_a_fresh_timestamp() -> None:
    wechat_check(KEYS, wechat_signature(NOW, "n2"), NOW, "n2", NOW_S + 299)


@pytest.mark.parametrize("timestamp", STALE, ids=lambda stamp: stamp[:12])
def test_a_signed_wechat_url_check_or_message_with_a_stale_timestamp_is_refused(
    timestamp: str,
) -> None:
    with pytest.raises(CallbackRefused, match="timestamp"):
        wechat_check(KEYS, wechat_signature(timestamp, "n2"), timestamp, "n2", NOW_S)


def test_a_signed_wecom_url_check_answers_the_echostr_with_a_fresh_timestamp() -> None:
    echostr = encrypted("echo-plain")
    signature = _get_signature(KEYS.token, NOW, "n2", echostr)

    assert wecom_verify_url(KEYS, signature, NOW, "n2", echostr, NOW_S - 299) == "echo-plain"


@pytest.mark.parametrize("timestamp", STALE, ids=lambda stamp: stamp[:12])
def test_a_signed_wecom_url_check_with_a_stale_timestamp_is_refused(timestamp: str) -> None:
    echostr = encrypted("echo-plain")
    signature = _get_signature(KEYS.token, timestamp, "n2", echostr)

    with pytest.raises(CallbackRefused, match="timestamp"):
        wecom_verify_url(KEYS, signature, timestamp, "n2", echostr, NOW_S)


@pytest.mark.parametrize("timestamp", ["1000", "abc", str(int(NOW_S * 1000) - 3_600_000)])
def test_a_signed_dingtalk_check_url_event_with_a_stale_timestamp_is_refused(
    timestamp: str,
) -> None:
    event = encrypted('{"EventType": "check_url"}')
    signature = _get_signature(KEYS.token, timestamp, "n2", event)

    with pytest.raises(CallbackRefused, match="timestamp"):
        dingtalk_decrypt(KEYS, event, signature, timestamp, "n2", NOW_S)
