"""The OpenAPI documents publish every success status an endpoint answers, with its body.

A gateway following the documents (docs/api.md) must find the 200 a duplicate or follow-up
contact gets, and the booking system the 201 a new booking gets; a client generated from
the schema otherwise treats them as undocumented answers.
"""

from __future__ import annotations

from typing import Any

from services.intake.main import bootstrap as intake
from services.routing.main import bootstrap as routing


def answers(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def test_both_contact_endpoints_publish_the_200_of_a_duplicate_or_follow_up() -> None:
    document = intake().openapi()

    for path in ("/v1/contacts", "/v1/channels/{channel}/contacts"):
        ok = answers(document, "post", path)["200"]
        schema = ok["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ContactAccepted"}, path


def test_a_new_booking_publishes_its_201() -> None:
    put = answers(routing().openapi(), "put", "/v1/bookings/{booking_id}")

    assert {"200", "201"} <= put.keys()
