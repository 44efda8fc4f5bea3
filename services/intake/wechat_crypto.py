"""Signatures and AES of WeChat Official Account, WeCom and DingTalk callbacks, by wechatpy.

All three platforms share Tencent's callback scheme: a SHA-1 signature over the
sorted token, timestamp, nonce (and ciphertext), and AES-256-CBC of
``random(16) ‖ length ‖ message ‖ receiver id`` under the 43-character
EncodingAESKey. wechatpy implements it for WeChat (``wechatpy.crypto``) and
WeCom (``wechatpy.enterprise.crypto``); DingTalk uses the same cipher with JSON
around it, so its envelope is built here from wechatpy's parts. DingTalk robots
that call back without AES sign ``timestamp\\nappSecret`` with HMAC-SHA256.

Outer XML is parsed with defusedxml before anything is decrypted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from wechatpy.crypto import PrpCrypto as WeChatPrp
from wechatpy.crypto import WeChatCrypto, _get_signature
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

MAX_CLOCK_SKEW_S = 300
"""A callback older (or newer) than this is refused: a replayed one, or a wrong clock."""


class CallbackRefused(ValueError):
    """Signature, timestamp, key or ciphertext wrong: answer 403 and write nothing."""


@dataclass(frozen=True)
class ChannelKeys:
    """A tenant's credentials on one platform (``receiver_id``: appid, corp id or app key)."""

    token: str
    encoding_aes_key: str
    receiver_id: str
    app_secret: str = ""


def fresh(timestamp: str, now_s: float) -> None:
    """The one freshness rule of every callback, URL checks included: a signed but replayed
    (or forged-clock) request is refused. Platforms send epoch seconds (DingTalk milliseconds)
    as plain digits; anything else (``-5``, ``1e3``, ``nan``, 5,000 digits) is no timestamp."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16):
        raise CallbackRefused("timestamp is not epoch seconds or milliseconds")
    sent = int(timestamp) / (1000 if len(timestamp) >= 13 else 1)
    if abs(now_s - sent) > MAX_CLOCK_SKEW_S:
        raise CallbackRefused("timestamp out of range")


def _wechat(keys: ChannelKeys) -> WeChatCrypto:
    return WeChatCrypto(keys.token, keys.encoding_aes_key, keys.receiver_id)


def _wecom(keys: ChannelKeys) -> WeComCrypto:
    """Built inside the guard: a stored key that is not base64 fails there, as a refusal."""
    return WeComCrypto(keys.token, keys.encoding_aes_key, keys.receiver_id)


def _guarded(call: object) -> str:
    """Run a wechatpy call; any of its failures (signature, id, padding) is a refusal."""
    assert callable(call)
    try:
        return str(call())
    except InvalidSignatureException as exc:
        raise CallbackRefused("signature") from exc
    except Exception as exc:  # wrong receiver id, padding, base64: wechatpy raises them all
        raise CallbackRefused(f"cannot decrypt: {type(exc).__name__}") from exc


def encrypted_field(xml: str | bytes) -> str:
    """The ``<Encrypt>`` of a callback body."""
    try:
        root = ElementTree.fromstring(xml)
    except (ParseError, ValueError) as exc:
        raise CallbackRefused("body is not callback XML") from exc
    encrypted = (root.findtext("Encrypt") or "").strip()
    if not encrypted:
        raise CallbackRefused("no Encrypt element")
    return encrypted


# --- WeChat Official Account ---------------------------------------------------------


def wechat_check(
    keys: ChannelKeys, signature: str, timestamp: str, nonce: str, now_s: float
) -> None:
    """URL verification and every message: a fresh timestamp and the signature over token,
    timestamp, nonce (safe mode's ``msg_signature`` is ``wechat_decrypt``'s on top)."""
    fresh(timestamp, now_s)
    _guarded(lambda: check_signature(keys.token, signature, timestamp, nonce))


def wechat_decrypt(
    keys: ChannelKeys, body: bytes, msg_signature: str, timestamp: str, nonce: str
) -> str:
    envelope = {"Encrypt": encrypted_field(body)}
    return _guarded(
        lambda: _wechat(keys).decrypt_message(envelope, msg_signature, timestamp, nonce)
    )


def wechat_encrypt(keys: ChannelKeys, reply_xml: str, nonce: str, timestamp: str) -> str:
    crypto = _wechat(keys)
    return str(crypto.encrypt_message(reply_xml, nonce, timestamp))


# --- WeCom (企业微信) -------------------------------------------------------------------


def wecom_verify_url(
    keys: ChannelKeys, msg_signature: str, timestamp: str, nonce: str, echostr: str, now_s: float
) -> str:
    """The decrypted echostr, which WeCom expects back as it is, for a fresh timestamp only."""
    fresh(timestamp, now_s)
    return _guarded(lambda: _wecom(keys).check_signature(msg_signature, timestamp, nonce, echostr))


def wecom_decrypt(
    keys: ChannelKeys, body: bytes, msg_signature: str, timestamp: str, nonce: str, now_s: float
) -> str:
    fresh(timestamp, now_s)
    envelope = {"Encrypt": encrypted_field(body)}
    return _guarded(lambda: _wecom(keys).decrypt_message(envelope, msg_signature, timestamp, nonce))


def wecom_encrypt(keys: ChannelKeys, reply_xml: str, nonce: str, timestamp: str) -> str:
    crypto = _wecom(keys)
    return str(crypto.encrypt_message(reply_xml, nonce, timestamp))


# --- DingTalk (钉钉) --------------------------------------------------------------------


def _aes_key(keys: ChannelKeys) -> bytes:
    try:
        key = base64.b64decode(keys.encoding_aes_key + "=")
    except binascii.Error as exc:
        raise CallbackRefused("the AES key is not base64") from exc
    if len(key) != 32:
        raise CallbackRefused("the AES key is not 43 characters")
    return key


def dingtalk_decrypt(
    keys: ChannelKeys, encrypted: str, signature: str, timestamp: str, nonce: str, now_s: float
) -> str:
    """An event subscription's ``{"encrypt": …}`` (``check_url`` too): checked, timestamp
    included, and decrypted (JSON text)."""
    fresh(timestamp, now_s)
    if not hmac.compare_digest(_get_signature(keys.token, timestamp, nonce, encrypted), signature):
        raise CallbackRefused("signature")
    prp = WeChatPrp(_aes_key(keys))
    return _guarded(lambda: prp.decrypt(encrypted, keys.receiver_id))


def dingtalk_encrypt(keys: ChannelKeys, plain: str, nonce: str, timestamp: str) -> dict[str, str]:
    """DingTalk's encrypted answer (``success`` to a URL check or an event)."""
    encrypted = WeChatPrp(_aes_key(keys)).encrypt(plain, keys.receiver_id).decode()
    return {
        "msg_signature": _get_signature(keys.token, timestamp, nonce, encrypted),
        "timeStamp": timestamp,
        "nonce": nonce,
        "encrypt": encrypted,
    }


def dingtalk_robot_sign(app_secret: str, timestamp: str) -> str:
    """The ``sign`` header of a robot callback: Base64(HMAC-SHA256(appSecret, ts\\nappSecret))."""
    digest = hmac.new(
        app_secret.encode(), f"{timestamp}\n{app_secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def dingtalk_robot_check(keys: ChannelKeys, timestamp: str, sign: str, now_s: float) -> None:
    if not keys.app_secret:
        raise CallbackRefused("no app secret configured for robot callbacks")
    fresh(timestamp, now_s)
    if not hmac.compare_digest(dingtalk_robot_sign(keys.app_secret, timestamp), sign):
        raise CallbackRefused("signature")
