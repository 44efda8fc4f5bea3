"""Each channel's real payload shape, normalised into one contact (fixtures in tests/fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.events import BookingReference, Channel, ReferenceKind
from contracts.references import extract_references
from services.intake.channels import PayloadError, normalise
from services.intake.channels.email import strip_quoted_reply
from services.intake.channels.language import guess_language

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
"""After every fixture was sent: a timestamp ahead of the clock is refused."""


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ref(kind: ReferenceKind, value: str) -> BookingReference:
    return BookingReference(kind=kind, value=value)


def test_an_email_reply_joins_its_thread_without_the_quoted_text() -> None:
    contact = normalise(Channel.EMAIL, load("email_reply.eml"), NOW)

    assert contact.channel_message_id == "<CAF=r2+msg-0002@mail.acme-corp.com>"
    assert contact.conversation_key == "<CAF=r2+msg-0001@mail.acme-corp.com>"
    assert contact.traveller.id == "email:li.lei@acme-corp.com"
    assert contact.traveller.name == "Li Lei"
    assert contact.traveller.email == "Li.Lei@acme-corp.com"
    assert contact.subject == "Re: [TC-7XK2M9] 改签 CA1501"
    assert contact.text.startswith("您好，航班CA1501还是显示取消")
    assert "我们已收到" not in contact.text
    assert contact.attachments[0].name == "itinerary.pdf"
    assert contact.attachments[0].content_type == "application/pdf"
    assert ref(ReferenceKind.FLIGHT, "CA1501") in contact.references
    assert ref(ReferenceKind.ORDER, "20261125004411") in contact.references
    assert contact.metadata["cc"] == "wang.fang@acme-corp.com"


def test_an_html_only_email_is_read_as_text_and_starts_its_own_thread() -> None:
    contact = normalise(Channel.EMAIL, load("email_html_only.eml"), NOW)

    assert contact.conversation_key == contact.channel_message_id
    assert "予約が見つからない" in contact.text
    assert "<p>" not in contact.text
    assert ref(ReferenceKind.HOTEL_CONFIRMATION, "88331234") in contact.references
    assert guess_language(contact.text) == "ja"


OUTLOOK_HTML = (
    "<html><head><meta charset=utf-8><title>RE: 改签</title><style><!--\n"
    "/* Font Definitions */ @font-face {font-family:DengXian; panose-1:2 1 6 0 3 1 1 1 1 1;}\n"
    "p.MsoNormal {margin:0cm; font-size:10.5pt; font-family:DengXian;}\n"
    '--></style><script>var pixel = "x";</script></head><body><p class=MsoNormal>您好，</p>'
    "<p class=MsoNormal>我的航班MU5101被取消了，请帮我改签，谢谢！<br></p></body></html>"
)


@pytest.mark.parametrize(
    "html", [OUTLOOK_HTML, OUTLOOK_HTML.replace("</head>", "")], ids=["head", "open-head"]
)
def test_an_html_mail_is_read_without_its_styles_and_scripts(html: str) -> None:
    """Outlook's HTML opens with font definitions, which were read as the message: an
    English-looking text, so a Chinese traveller was acknowledged in English."""
    raw = (
        b"Message-ID: <h1@mail.example>\r\nFrom: wf@mail.example\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    )

    contact = normalise(Channel.EMAIL, raw, NOW)

    assert contact.text == "您好，\n我的航班MU5101被取消了，请帮我改签，谢谢！"
    assert guess_language(contact.text) == "zh-Hans"


def test_a_phone_call_carries_transcript_caller_and_ivr_path() -> None:
    contact = normalise(Channel.PHONE, load("phone.json"), NOW)

    assert (contact.channel_message_id, contact.conversation_key) == (
        "ivr-20261125-0312-88a1",
        "ivr-20261125-0312-88a1",
    )
    assert contact.traveller.id == "phone:+8613800138000"
    assert contact.traveller.phone == "+8613800138000"
    assert contact.metadata["caller_number"] == "+86 138 0013 8000"
    assert contact.metadata["ivr_path"] == "zh > flights > disruption"
    assert contact.language_hint == "zh-Hans"
    assert contact.received_at == datetime(2026, 11, 25, 3, 12, 44, tzinfo=UTC)
    assert ref(ReferenceKind.FLIGHT, "MU5137") in contact.references


def test_web_chat_threads_by_session() -> None:
    contact = normalise(Channel.WEB_CHAT, load("web_chat.json"), NOW)

    assert contact.conversation_key == "chat-s-5521:trav-1088"
    assert contact.channel_message_id == "chat-m-99017"
    assert contact.traveller.name == "Emma Clark"
    assert contact.metadata == {"device": "Chrome 142 / macOS", "session_id": "chat-s-5521"}
    assert ref(ReferenceKind.HOTEL_CONFIRMATION, "HX55120") in contact.references


def test_in_app_keeps_device_app_version_and_attachment_metadata() -> None:
    contact = normalise(Channel.IN_APP, load("in_app.json"), NOW)

    assert contact.traveller.id == "trav-42"
    assert contact.traveller.language == "zh-Hant"
    assert contact.metadata == {"device": "iPhone 16", "app_version": "6.12.0"}
    assert contact.attachments[0].size == 183204
    assert guess_language(contact.text) == "zh-Hant"


def test_a_wechat_xml_message_becomes_a_contact_of_its_openid() -> None:
    contact = normalise(Channel.WECHAT, load("wechat_text.xml"), NOW)

    assert contact.channel_message_id == "24816327431286491"
    assert contact.traveller.id == "wechat:oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert contact.traveller.im_user_id == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert contact.conversation_key == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert contact.text.startswith("报销单一直在审批中")
    assert contact.received_at == datetime.fromtimestamp(1795837200, UTC)
    assert contact.metadata == {"official_account": "gh_3f1a2b7c9d01"}


WECHAT_TEXT = "<MsgType><![CDATA[text]]></MsgType>"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        (
            "<MsgType>location</MsgType><Location_X>31.1443</Location_X>"
            "<Location_Y>121.8083</Location_Y><Scale>15</Scale><Label>浦东国际机场T2</Label>",
            "[location] 浦东国际机场T2 (31.1443, 121.8083)",
        ),
        ("<MsgType>video</MsgType><MediaId>v1</MediaId><ThumbMediaId>t</ThumbMediaId>", "[video]"),
        ("<MsgType>shortvideo</MsgType><MediaId>v1</MediaId>", "[video]"),
        (
            "<MsgType>link</MsgType><Title>酒店确认函</Title><Url>https://h.example/c/88</Url>",
            "[link] 酒店确认函 https://h.example/c/88",
        ),
        ("<MsgType>file</MsgType><Title>行程单.pdf</Title>", "[file] 行程单.pdf"),
    ],
)
def test_a_wechat_location_video_link_or_file_is_a_message_too(fields: str, text: str) -> None:
    """They were refused as unsupported, which the callback answered ``success``: the
    traveller's message was dropped without a ticket, a reply or a trace."""
    body = load("wechat_text.xml").decode().replace(WECHAT_TEXT, fields)

    contact = normalise(Channel.WECHAT, body.encode(), NOW)

    assert contact.text == text
    assert contact.traveller.id == "wechat:oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        ("GBK", "报销单一直在审批中，能帮忙催一下吗", "gbk"),
        ("gb2312", "朱镕基机场的航班喆取消了", "gb18030"),  # 镕 and 喆 are GBK, not GB2312
        ("GBK", "报销单一直在审批中（UTF-8，标签是 GBK）", "utf-8"),
        ("Shift_JIS", "フライトが欠航になりました①", "cp932"),
        ("Big5", "我的航班被取消了，請幫我改簽", "big5"),
    ],
)
def test_a_wechat_xml_declared_in_a_legacy_cjk_charset_is_read(
    label: str, text: str, codec: str
) -> None:
    """expat reads no multi-byte charset but UTF-8 and UTF-16: a relay's ``encoding="GBK"``
    was "multi-byte encodings are not supported", and the callback answered ``success`` to a
    message it dropped. Read as mail is: the label's superset; UTF-8 bytes (the platform's own
    encoding) whatever the label says."""
    fixture = "报销单一直在审批中，已经一周了，能帮忙催一下吗"
    xml = load("wechat_text.xml").decode().replace(fixture, text)
    body = f'<?xml version="1.0" encoding="{label}"?>\n{xml}'.encode(codec)

    contact = normalise(Channel.WECHAT, body, NOW)

    assert contact.text == text


def test_a_wechat_xml_of_an_unknown_or_wrong_charset_is_refused_naming_the_body() -> None:
    xml = load("wechat_text.xml").decode()
    unknown = f'<?xml version="1.0" encoding="x-klingon"?>{xml}'.encode("gb18030")
    wrong = f'<?xml version="1.0" encoding="GBK"?>{xml}'.encode().replace(b"<Content>", b"\xff\xfe")

    for body in (unknown, wrong):
        with pytest.raises(PayloadError) as refused:
            normalise(Channel.WECHAT, body, NOW)
        assert refused.value.loc == ("body",)


def test_wecom_and_dingtalk_callbacks() -> None:
    wecom = normalise(Channel.WECOM, load("wecom.json"), NOW)
    dingtalk = normalise(Channel.DINGTALK, load("dingtalk.json"), NOW)

    assert wecom.traveller.id == "wecom:wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"
    assert wecom.text == "invoice 验真失败，税号是不是填错了？"
    assert dingtalk.traveller.id == "dingtalk:0221504436782394"
    assert dingtalk.traveller.name == "张伟"
    assert dingtalk.text == "我的账号登录不了，一直提示密码错误"
    assert dingtalk.conversation_key == "cidCq1m2MNsQ+1y4cJQZMp0Gw=="
    assert dingtalk.received_at == datetime.fromtimestamp(1795830012.345, UTC)


def test_a_web_form_keeps_the_chosen_category_and_order_number() -> None:
    contact = normalise(Channel.WEB_FORM, load("web_form.json"), NOW)

    assert contact.category_hint == "cancel_refund"
    assert contact.traveller.id == "email:maria.lopez@globex.example"
    assert contact.references[0] == ref(ReferenceKind.ORDER, "ORD-77812345")
    assert ref(ReferenceKind.PNR, "K9LX2P") in contact.references
    assert contact.conversation_key is None


@pytest.mark.parametrize(
    ("channel", "body", "field"),
    [
        (Channel.PHONE, b'{"call_id": "c1", "caller_number": "+1555"}', "transcript"),
        (Channel.WEB_CHAT, b"[1, 2]", "body"),
        (Channel.WECHAT, b"<xml><MsgType>text</MsgType></xml>", "Content"),
        (Channel.WECHAT, b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml>&a;</xml>", "body"),
        (Channel.WECHAT, b"<xml><MsgType>miniprogrampage</MsgType></xml>", "MsgType"),
        (Channel.WEB_FORM, b'{"submission_id": "f1", "message": "hi"}', "email"),
        (Channel.EMAIL, b"From: a@b.c\r\nSubject: x\r\n\r\nhello", "Message-ID"),
        (Channel.EMAIL, b"Message-ID: <x@y>\r\nFrom: nobody\r\n\r\nhello", "From"),
        (Channel.DINGTALK, b'{"msgId": "m", "text": {"content": "x"}}', "conversationId"),
    ],
)
def test_a_bad_payload_names_the_wrong_field(channel: Channel, body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        normalise(channel, body, NOW)
    assert caught.value.field == field


def test_a_payload_that_is_not_json_is_refused_by_the_one_strict_parser() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        normalise(Channel.IN_APP, b"{not json", NOW)
    assert caught.value.pos == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("航班 CA 1501 取消", [ref(ReferenceKind.FLIGHT, "CA1501")]),
        (
            "NH920 and 3U8881 delayed",
            [ref(ReferenceKind.FLIGHT, "NH920"), ref(ReferenceKind.FLIGHT, "3U8881")],
        ),
        ("G1234次列车晚点", [ref(ReferenceKind.TRAIN, "G1234")]),
        ("PNR: ab12cd", [ref(ReferenceKind.PNR, "AB12CD")]),
        ("訂單編號：TW20261125", [ref(ReferenceKind.ORDER, "TW20261125")]),
        ("please call me at 10 am", []),
    ],
)
def test_booking_references_are_found_in_free_text(
    text: str, expected: list[BookingReference]
) -> None:
    assert extract_references(text) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我的航班被取消了", "zh-Hans"),
        ("我的機票被取消了，點算？", "zh-Hant"),
        ("フライトが欠航になりました", "ja"),
        ("My flight was cancelled", "en"),
        ("invoice 验真失败", "zh-Hans"),
        ("領収書再発行依頼", "ja"),
        ("搭乗便欠航", "ja"),
        ("请问从新大阪駅到酒店怎么走，我已经等了一个小时了，出租车也打不到", "zh-Hans"),
        ("I'm stuck at 浦东机场, flight cancelled", "en"),
        ("booking一直pending怎么办", "zh-Hans"),
    ],
)
def test_the_acknowledgement_language_is_guessed_from_the_script(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_quoted_replies_in_english_and_chinese_clients_are_cut() -> None:
    english = "Thanks!\n\nOn Tue, 24 Nov 2026 at 10:00, TripCare <s@t> wrote:\n> old"
    chinese = "好的\n------------------ 原始邮件 ------------------\n发件人: TripCare"
    assert strip_quoted_reply(english) == "Thanks!"
    assert strip_quoted_reply(chinese) == "好的"
