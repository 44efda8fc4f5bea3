"""An attachment's ``id`` names a file intake stored, and goes into its download path
(``/v1/tickets/{id}/attachments/{file}``): letters, digits, ``-`` and ``_``, like the ids
intake makes. A gateway's ``"../../x"``, a control character or spaces is a 422 naming
``attachments.<n>.id`` over HTTP (a dead letter on the bus), and no ticket is opened;
before, it was kept and listed with a download link that led nowhere.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import events
from tests.factories import T0
from tests.unit.test_gateway_keys import CONTACT, Desk, desk, staff  # noqa: F401

BAD_IDS = {
    "parent": "../../x",
    "slash": "a/b",
    "control": "a\u0007b",
    "line separator": "a\u2028b",
    "blank": "   ",
    "space": "a b",
    "empty": "",
    "percent": "%2e%2e",
}
FILE = {"name": "itinerary.pdf", "content_type": "application/pdf", "size": 3}


def attachment(file_id: str) -> dict[str, Any]:
    return {**FILE, "id": file_id}


@pytest.mark.parametrize("file_id", BAD_IDS.values(), ids=BAD_IDS.keys())
async def test_a_contact_naming_a_file_id_that_is_no_id_is_refused_and_opens_nothing(
    desk: Desk,  # noqa: F811
    file_id: str,
) -> None:
    key = (await desk.create())["key"]

    answer = await desk.replicas[0].post(
        "/v1/contacts",
        json={**CONTACT, "attachments": [attachment(file_id)]},
        headers={"X-Api-Key": key},
    )

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [["body", "attachments", 0, "id"]]
    listed = await desk.replicas[0].get("/v1/tickets", headers=staff())
    assert listed.json()["items"] == []


@pytest.mark.parametrize("file_id", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_a_bus_contact_naming_a_file_id_that_is_no_id_is_refused(file_id: str) -> None:
    with pytest.raises(ValidationError, match=r"attachments\.0\.id"):
        events.ContactReceived.model_validate(
            {**CONTACT, "received_at": T0, "attachments": [attachment(file_id)]}
        )


@pytest.mark.parametrize("file_id", [uuid.uuid4().hex, "f1", "file_2-b"])
def test_ids_as_intake_makes_them_are_taken(file_id: str) -> None:
    assert events.Attachment.model_validate(attachment(file_id)).id == file_id
