"""One caller, one traveller: the number in a ``phone:`` traveller id is E.164 where it reads
as an international number, else its digits, however the IVR or gateway wrote it."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from contracts.events import Channel, Traveller
from contracts.phones import e164, phone_key
from services.intake.channels import normalise
from services.intake.service import Outcome
from tests import factories
from tests.unit.test_threading import intake as intake_on_fakes

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("+86 138 0013 8000", "+8613800138000"),
        ("+86-138-0013-8000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("0086 138 0013 8000", "+8613800138000"),
        ("+44 (20) 7946.0958", "+442079460958"),
        ("138 0013 8000", "13800138000"),  # national: its country is not known here
        ("+999 123", "+999123"),  # no valid number: its digits, the + kept
    ],
)
def test_a_number_is_one_key_however_it_is_written(written: str, key: str) -> None:
    assert phone_key(written) == key


def call(call_id: str, number: str, transcript: str) -> bytes:
    body = {"call_id": call_id, "caller_number": number, "transcript": transcript}
    return orjson.dumps({**body, "ivr_path": ["zh", "flights"]})


async def test_two_calls_from_one_number_written_two_ways_are_one_traveller() -> None:
    """They were two travellers: the second call about the same flight opened a second
    ticket instead of joining the first."""
    intake = intake_on_fakes(at=NOW)[0]
    first = normalise(Channel.PHONE, call("c1", "+86 138 0013 8000", "MU5137 取消了"), NOW)
    second = normalise(Channel.PHONE, call("c2", "+8613800138000", "MU5137 还没改签"), NOW)

    ticket, opened = await intake.receive_contact("acme", first)
    again, followed = await intake.receive_contact("acme", second)

    assert first.traveller.id == second.traveller.id == "phone:+8613800138000"
    assert (opened, followed) == (Outcome.OPENED, Outcome.FOLLOWED_UP)
    assert again.id == ticket.id


async def test_a_gateways_ready_contact_with_a_phone_id_is_the_same_caller() -> None:
    intake = intake_on_fakes(at=NOW)[0]
    ready = factories.contact(
        channel=Channel.PHONE,
        channel_message_id="call-9",
        traveller=Traveller(id="phone:0086 138-0013-8000"),
        received_at=NOW,
    )
    other = factories.contact(traveller=Traveller(id="trav-42"), received_at=NOW)

    ticket, _ = await intake.receive_contact("acme", ready)
    kept, _ = await intake.receive_contact("acme", other)

    assert ticket.traveller.id == "phone:+8613800138000"
    assert kept.traveller.id == "trav-42"


def test_a_call_without_an_ivr_path_is_taken() -> None:
    """``ivr_path`` is optional, yet a call without one was 422 (a blank ``ivr_path``)."""
    body = {"call_id": "c1", "caller_number": "+8613800138000", "transcript": "航班取消了"}

    contact = normalise(Channel.PHONE, orjson.dumps(body), NOW)

    assert contact.metadata == {"caller_number": "+8613800138000"}


@pytest.mark.parametrize("written", ["0086 138-0013-8000", "008613800138000", "+86 138 0013 8000"])
def test_a_caller_written_with_the_international_prefix_is_reachable_by_sms_anywhere(
    written: str,
) -> None:
    """The traveller's phone was the IVR's text as sent when it began ``00``: notify reads a
    number without ``+`` in the tenant's region, where ``00`` is not always the international
    prefix (Singapore, Hong Kong, Japan, the US), so a caller intake knew as +8613800138000
    got no SMS. The phone is the E.164 number the traveller id names."""
    contact = normalise(Channel.PHONE, call("c1", written, "MU5137 取消了"), NOW)

    assert contact.traveller.phone == "+8613800138000"
    assert e164(contact.traveller.phone, "SG") == "+8613800138000"
    assert contact.metadata["caller_number"] == written


def test_a_national_caller_keeps_the_number_as_written_for_the_tenants_region() -> None:
    contact = normalise(Channel.PHONE, call("c1", "138 0013 8000", "MU5137 取消了"), NOW)

    assert contact.traveller.phone == "138 0013 8000"
    assert contact.traveller.id == "phone:13800138000"


@pytest.mark.parametrize("withheld", ["anonymous", "Unknown", "PRIVATE", "withheld", ""])
def test_a_call_with_a_withheld_number_is_taken_as_its_own_caller(withheld: str) -> None:
    """An IVR says a withheld caller ID (隐藏号码) as ``anonymous``, ``unknown`` or nothing: the
    call was a 422 at caller_number, and a stranded traveller's transcript never reached the
    desk. Taken, the caller is the call itself (no number to write back to, no SMS)."""
    body = {"call_id": "ivr-77", "caller_number": withheld, "transcript": "我在浦东机场滞留了"}

    contact = normalise(Channel.PHONE, orjson.dumps(body), NOW)

    assert contact.traveller.id == "call:ivr-77"
    assert contact.traveller.phone is None
    assert contact.metadata == {"caller_number": "withheld"}


def test_a_withheld_caller_the_ivr_identified_is_that_traveller() -> None:
    body = {"call_id": "c1", "caller_number": "anonymous", "transcript": "改签"}
    body["traveller_id"] = "t-9"

    assert normalise(Channel.PHONE, orjson.dumps(body), NOW).traveller.id == "t-9"
