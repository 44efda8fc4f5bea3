"""A ticket keeps what the traveller wrote, whole: the contract takes up to 20,000
characters, and an agent reading a ticket must not get a silently cut message (a long
complaint, a pasted itinerary whose booking reference is at the end)."""

from __future__ import annotations

from contracts.events import TicketFollowedUp, TicketOpened
from services.intake.domain import Ticket
from tests.factories import T0, contact

LONG = "".join(f"Leg {n}: CA{1000 + n} PEK-SHA, seat {n}A, please check. " for n in range(180))


def opened(text: str) -> Ticket:
    return Ticket.open(
        "acme",
        contact(text=text),
        contact_id="c1",
        generation=0,
        language="en",
        tracking_url="u",
        now=T0,
    )


def test_the_ticket_and_its_opening_event_keep_a_long_contact_whole() -> None:
    assert 4_000 < len(LONG) <= 20_000
    ticket = opened(LONG)
    assert ticket.text == LONG
    assert ticket.contacts[0].text == LONG
    [event] = [e for e in ticket.take_events() if isinstance(e, TicketOpened)]
    assert event.text == LONG


def test_a_long_follow_up_is_kept_whole() -> None:
    ticket = opened("My flight was cancelled")
    ticket.follow_up(contact(text=LONG), "c2", T0)
    assert ticket.contacts[-1].text == LONG
    [event] = [e for e in ticket.take_events() if isinstance(e, TicketFollowedUp)]
    assert event.text == LONG
