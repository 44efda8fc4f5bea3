"""``PUT /v1/admin/mailboxes/{name}`` answers as routing's queue and agent PUTs do: 201 when
it creates the mailbox, 200 when it replaces one (it used to be 200 both times)."""

from __future__ import annotations

from tests.unit.test_gateway_keys import client, staff
from tests.unit.test_mailbox_hosts import MAILBOX, desk

BOX = {**MAILBOX, "host": "imap.acme-travel.example"}


async def test_a_put_that_creates_is_201_and_one_that_replaces_is_200() -> None:
    app, mailboxes = desk()
    async with client(app) as http:
        created = await http.put("/v1/admin/mailboxes/support", json=BOX, headers=staff())
        replaced = await http.put(
            "/v1/admin/mailboxes/support", json={**BOX, "folder": "Desk"}, headers=staff()
        )

    assert created.status_code == 201, created.text
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["folder"] == "Desk"
    assert [d["name"] for d in await mailboxes.list("acme")] == ["support"]


async def test_a_put_after_a_delete_creates_again() -> None:
    app, _ = desk()
    async with client(app) as http:
        await http.put("/v1/admin/mailboxes/support", json=BOX, headers=staff())
        assert (
            await http.delete("/v1/admin/mailboxes/support", headers=staff())
        ).status_code == 204
        again = await http.put("/v1/admin/mailboxes/support", json=BOX, headers=staff())

    assert again.status_code == 201, again.text
