"""A DingTalk subscription event, signed and captured once, must not be taken again.

Its ``signature`` covers the ciphertext, and its timestamp must be within five minutes, as
every callback's; within that window intake binds the signature to the first body it came
with (``common.once``, as for WeChat plain mode and DingTalk robots): the same bytes again
are the platform's retry, answered as the first time and writing nothing, another body under
that signature is refused (403) and writes nothing, and so is an event outside the window.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.intake.wechat_crypto import dingtalk_robot_sign
from tests.integration.test_bad_input_every_endpoint import (
    DINGTALK,
    TENANT,
    Service,
    dingtalk_event,
    running,
)

pytestmark = pytest.mark.integration

MESSAGE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "channels" / "dingtalk.json").read_text()
)


@pytest.fixture
async def desk(mongo_url: str) -> AsyncIterator[Service]:
    async with running("intake", mongo_url) as started:
        configured = await started.http.put(
            "/v1/admin/channels/dingtalk", json=DINGTALK, headers=started.headers
        )
        assert configured.status_code == 201, configured.text
        yield started


def event(stamp: str = "") -> tuple[str, dict[str, str]]:
    """A robot message inside a subscription event, sent now (or at ``stamp``)."""
    message: dict[str, Any] = {**MESSAGE, "createAt": int(time.time() * 1000)}
    return dingtalk_event(json.dumps(message), uuid.uuid4().hex[:8], stamp)


async def test_a_captured_event_replayed_is_answered_as_a_retry_and_writes_nothing(
    desk: Service,
) -> None:
    query, body = event()
    url = f"/v1/callbacks/dingtalk/{TENANT}?{query}"
    first = await desk.http.post(url, json=body)
    assert first.status_code == 200, first.text
    taken = await desk.counts()

    replayed = await desk.http.post(url, json=body)
    padded = await desk.http.post(url, json={**body, "replayed": True})

    assert replayed.status_code == 200, replayed.text
    assert padded.status_code == 403, padded.text
    assert padded.json()["detail"] == "callback refused: this signature came with another body"
    assert await desk.counts() == taken
    assert taken.get("callback_nonces") == 1


async def test_an_event_outside_the_timestamp_window_is_refused_and_writes_nothing(
    desk: Service,
) -> None:
    before = await desk.counts()
    for minutes in (-6, 6):
        query, body = event(str(int(time.time()) + minutes * 60))

        answer = await desk.http.post(f"/v1/callbacks/dingtalk/{TENANT}?{query}", json=body)

        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"] == "callback refused: timestamp out of range"
    assert await desk.counts() == before


async def test_a_signed_event_or_robot_callback_that_does_not_validate_names_the_field(
    desk: Service,
) -> None:
    """As every channel's 422: ``loc`` names the field, not only ``msg``."""
    await desk.http.put(
        "/v1/admin/channels/dingtalk",
        json={**DINGTALK, "app_secret": "robot-secret"},
        headers=desk.headers,
    )
    before = await desk.counts()
    blank = {**MESSAGE, "createAt": int(time.time() * 1000), "text": {"content": " "}}
    query, body = dingtalk_event(json.dumps(blank), uuid.uuid4().hex[:8])
    stamp = str(int(time.time() * 1000))
    headers = {"timestamp": stamp, "sign": dingtalk_robot_sign("robot-secret", stamp)}

    in_event = await desk.http.post(f"/v1/callbacks/dingtalk/{TENANT}?{query}", json=body)
    from_robot = await desk.http.post(
        f"/v1/callbacks/dingtalk/{TENANT}", json=blank, headers=headers
    )
    not_object = await desk.http.post(f"/v1/callbacks/dingtalk/{TENANT}", json=[blank])

    assert [a.status_code for a in (in_event, from_robot, not_object)] == [422, 422, 422]
    assert [item["loc"] for item in in_event.json()["detail"]] == [
        ["body", "encrypt", "text", "content"]
    ]
    assert [item["loc"] for item in from_robot.json()["detail"]] == [["body", "text", "content"]]
    assert [item["loc"] for item in not_object.json()["detail"]] == [["body"]]
    assert await desk.counts() == {**before, "channel_configs": 1}


PICTURE = {
    "msgtype": "picture",
    "content": {"downloadCode": "护照照片-code", "pictureDownloadCode": "护照照片-code"},
}
FILE = {"msgtype": "file", "content": {"downloadCode": "code", "fileName": "护照.pdf"}}


@pytest.mark.parametrize("kind", [PICTURE, FILE], ids=["picture", "file"])
async def test_a_signed_message_of_a_type_intake_cannot_read_is_acknowledged_and_dropped(
    desk: Service, kind: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A 422 makes DingTalk retry a message no retry makes readable: answered as WeChat and
    WeCom answer one, it is logged with its type (never its content) and taken nowhere."""
    await desk.http.put(
        "/v1/admin/channels/dingtalk",
        json={**DINGTALK, "app_secret": "robot-secret"},
        headers=desk.headers,
    )
    before = await desk.counts()
    message = {k: v for k, v in MESSAGE.items() if k != "text"}
    message = {**message, **kind, "createAt": int(time.time() * 1000)}
    query, body = dingtalk_event(json.dumps(message), uuid.uuid4().hex[:8])
    stamp = str(int(time.time() * 1000))
    headers = {"timestamp": stamp, "sign": dingtalk_robot_sign("robot-secret", stamp)}

    in_event = await desk.http.post(f"/v1/callbacks/dingtalk/{TENANT}?{query}", json=body)
    from_robot = await desk.http.post(
        f"/v1/callbacks/dingtalk/{TENANT}", json=message, headers=headers
    )

    assert [in_event.status_code, from_robot.status_code] == [200, 200], from_robot.text
    assert from_robot.json() == {}
    after = await desk.counts()
    assert after.get("tickets", 0) == before.get("tickets", 0)
    assert after.get("callback_nonces") == before.get("callback_nonces", 0) + 2
    dropped = [r for r in caplog.records if "message dropped" in r.getMessage()]
    assert [r.levelno for r in dropped] == [logging.WARNING, logging.WARNING]
    for record in dropped:
        shown = record.getMessage()
        assert "dingtalk callback of tenant" in shown
        assert f"unsupported message type {kind['msgtype']!r}" in shown
        assert "护照" not in shown
