"""WeChat and WeCom callbacks answer every message ``success`` (else the platform retries and
warns the account), so what intake cannot take must leave a trace: a blank text or an
unsupported type is logged with what it was and why, never its content; events are not."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.intake.api.callbacks.common import message_of
from services.intake.channels.im import from_wechat, from_wecom_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SECRET = "护照号 E12345678"
WECHAT = (FIXTURES / "wechat_text.xml").read_text()
WECHAT_TEXT = WECHAT[WECHAT.index("<MsgType>") : WECHAT.index("<MsgId>")]


def wechat(fields: str) -> bytes:
    return WECHAT.replace(WECHAT_TEXT, fields).encode()


def wecom(fields: str) -> str:
    return (
        "<xml><ToUserName>ww-corp</ToUserName><FromUserName>zhangsan</FromUserName>"
        f"<CreateTime>1795830000</CreateTime>{fields}<MsgId>m-1</MsgId><AgentID>1</AgentID></xml>"
    )


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ("<MsgType>text</MsgType><Content>   </Content>", "Content: missing"),
        (
            f"<MsgType>miniprogrampage</MsgType><Title>{SECRET}</Title>",
            "unsupported message type 'miniprogrampage'",
        ),
    ],
)
def test_a_dropped_wechat_message_is_logged_without_its_content(
    fields: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        contact = message_of("wechat", "acme", lambda: from_wechat(wechat(fields), NOW))

    assert contact is None
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "wechat callback of tenant acme: message dropped" in record.getMessage()
    assert why in record.getMessage()
    assert SECRET not in record.getMessage()


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ("<MsgType>text</MsgType><Content> </Content>", "Content: missing"),
        (f"<MsgType>image</MsgType><PicUrl>{SECRET}</PicUrl>", "unsupported message type 'image'"),
    ],
)
def test_a_dropped_wecom_message_is_logged_without_its_content(
    fields: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        contact = message_of("wecom", "acme", lambda: from_wecom_xml(wecom(fields), NOW))

    assert contact is None
    [record] = caplog.records
    assert why in record.getMessage()
    assert "wecom callback of tenant acme" in record.getMessage()
    assert SECRET not in record.getMessage()


@pytest.mark.parametrize(
    ("fields", "msg_id", "why"),
    [
        ("<MsgType>text</MsgType><Content>\u200b</Content>", "m-1", "text: "),
        ("<MsgType>text</MsgType><Content>a&#x7f;b</Content>", "m-1", "text: "),
        ("<MsgType>text</MsgType><Content>hi</Content>", "9" * 300, "channel_message_id: "),
    ],
)
def test_a_wecom_message_the_contract_refuses_is_dropped_not_a_server_error(
    fields: str, msg_id: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A member's zero-width space or a control character is a message intake cannot take:
    dropped and logged as the other refusals, not a ValidationError (a 500 WeCom retries)."""
    xml = wecom(fields).replace("<MsgId>m-1</MsgId>", f"<MsgId>{msg_id}</MsgId>")

    with caplog.at_level(logging.INFO):
        contact = message_of("wecom", "acme", lambda: from_wecom_xml(xml, NOW))

    assert contact is None
    [record] = caplog.records
    assert "wecom callback of tenant acme: message dropped" in record.getMessage()
    assert why in record.getMessage()


def test_events_are_no_dropped_messages(caplog: pytest.LogCaptureFixture) -> None:
    subscribe = "<MsgType>event</MsgType><Event>subscribe</Event>"
    enter = "<MsgType>event</MsgType><Event>enter_agent</Event>"

    with caplog.at_level(logging.INFO):
        assert message_of("wechat", "acme", lambda: from_wechat(wechat(subscribe), NOW)) is None
        assert message_of("wecom", "acme", lambda: from_wecom_xml(wecom(enter), NOW)) is None

    assert caplog.records == []


def test_a_message_is_taken() -> None:
    contact = message_of("wechat", "acme", lambda: from_wechat(WECHAT.encode(), NOW))

    assert contact is not None
    assert contact.text
