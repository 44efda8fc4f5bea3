"""``PUT /v1/admin/channels/{channel}`` answers as the mailbox PUT and routing's queue and
agent PUTs do: 201 when it creates the channel's credentials, 200 when it replaces them (it
used to be 200 both times, so a client could not tell it had configured a new platform)."""

from __future__ import annotations

from tests.unit.test_admin_credentials_text import WECHAT, with_channels
from tests.unit.test_gateway_keys import client, staff
from tests.unit.test_mailbox_hosts import desk


async def test_a_put_that_creates_is_201_and_one_that_replaces_is_200() -> None:
    app, _ = desk()
    configs = with_channels(app)
    async with client(app) as http:
        created = await http.put("/v1/admin/channels/wechat", json=WECHAT, headers=staff())
        rotated = await http.put(
            "/v1/admin/channels/wechat", json={**WECHAT, "receiver_id": "wx-new"}, headers=staff()
        )

    assert created.status_code == 201, created.text
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["receiver_id"] == "wx-new"
    assert [d["channel"] for d in await configs.list("acme")] == ["wechat"]


async def test_a_put_after_a_delete_creates_again() -> None:
    app, _ = desk()
    with_channels(app)
    async with client(app) as http:
        await http.put("/v1/admin/channels/wechat", json=WECHAT, headers=staff())
        assert (await http.delete("/v1/admin/channels/wechat", headers=staff())).status_code == 204
        again = await http.put("/v1/admin/channels/wechat", json=WECHAT, headers=staff())

    assert again.status_code == 201, again.text


async def test_each_platform_is_created_on_its_own() -> None:
    app, _ = desk()
    with_channels(app)
    async with client(app) as http:
        wechat = await http.put("/v1/admin/channels/wechat", json=WECHAT, headers=staff())
        wecom = await http.put("/v1/admin/channels/wecom", json=WECHAT, headers=staff())

    assert (wechat.status_code, wecom.status_code) == (201, 201)
