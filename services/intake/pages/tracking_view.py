"""What a traveller may see of their ticket, in their language: one view for the tracking
page and its JSON. Pure.

Behind the signed link (no login) a traveller sees the status, who is on it (a
person, never named, or their team by its name in the traveller's language —
``contracts.teams`` — never a queue id; the help centre for the bot's answer),
when to expect an answer, the steps of their ticket summarised in their language
and the words sent to them. Times are ISO instants (UTC) for machines and, beside them,
text in the traveller's own time zone, else the tenant's business zone, else UTC, with
the offset — the rule and format notify's notices use (``contracts.local_time``), so the
page and the notices read one clock. Internal
notes, routing's reasons (agent ids, loads, "no qualified agent available"), SLA
alarms, staff notices and every entry's details stay inside. A step kind is shown
only if it is listed here: a new kind is hidden until someone decides it is for
travellers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from contracts.local_time import local_span, local_text, zone_name, zoned
from contracts.teams import team_name
from runtime.pages import WordTable
from services.intake.domain import Ticket, TicketStatus, TimelineEntry
from services.intake.domain.records import DisruptionState
from services.intake.domain.sla_clock import running_due
from services.intake.domain.status import REOPENABLE, WAITING

WORDS = WordTable(Path(__file__).parents[1] / "templates" / "tracking" / "messages.json")
"""The tracking page's words: the page and the JSON say the same."""

SHOWN = frozenset(
    {
        "received",
        "proactive",
        "disruption_changed",
        "follow_up",
        "closing_words",
        "acknowledged",
        "routed",
        "bot_answered",
        "replied",
        "resolved",
        "reopened",
        "survey_sent",
        "survey_withdrawn",
        "rated",
        "appealed",
        "appeal_decided",
    }
)
"""Timeline steps a traveller sees (by kind); everything else stays inside."""
QUOTED = frozenset({"replied", "resolved", "bot_answered"})
"""Steps that carry words written for the traveller (shown as written)."""
WORDED_AS = {"closing_words": "follow_up"}
"""Steps a traveller reads in another kind's words: their "thanks" after the answer is a
message of theirs like any later one (that it reopened nothing is ours to know)."""
FIRST_WORDS = 80
"""A request without a subject is named by this many characters of its first line."""


class TrackingStep(BaseModel):
    at: datetime = Field(description="The instant (UTC).")
    at_text: str = Field(
        description="``at`` as the traveller reads it: in ``time_zone``, with its offset, in "
        "their language (``7 Dec 2026, 10:00 (UTC+09:00)``)."
    )
    kind: str
    summary: str = Field(description="In the traveller's language.")
    message: str | None = Field(default=None, description="What we wrote to them, if anything.")


class TrackingView(BaseModel):
    """What the traveller sees behind the signed link, in their language."""

    ticket_id: str
    language: str = Field(description="The language of every text below.")
    subject: str | None = Field(
        default=None,
        description="What the request is about, so a traveller with several tells them apart: "
        "its subject as they wrote it, else the first line of their first message (cut at 80 "
        "characters); for a proactive ticket, the disruption as its latest revision told it, "
        "in ``language``.",
    )
    time_zone: str = Field(
        description="The IANA zone every ``…_text`` time below is in: the traveller's own, "
        "else the tenant's business zone (its SLA calendar's), else UTC.",
        examples=["Asia/Tokyo"],
    )
    status: TicketStatus
    status_text: str = Field(description="The status in words.")
    handled_by: str = Field(
        description="Who is on it, or who answered or resolved it: our help centre, "
        "a member of our team, or the team."
    )
    agent_assigned: bool = Field(description="A person (never named here) is working on it.")
    expected_answer_by: datetime | None = Field(
        description="When to expect the next answer (an instant, UTC); null once answered "
        "or closed, while it waits on the traveller or a supplier, and once that time has passed."
    )
    expected_answer_by_text: str | None = Field(
        description="``expected_answer_by`` as the traveller reads it: in ``time_zone``, with "
        "its offset, in their language (``2026年12月7日 10:00（UTC+09:00）``)."
    )
    waiting_on_you: bool = Field(
        description="It waits for the traveller's reply: no answer is due from us until then."
    )
    waiting_on_supplier: bool = Field(
        description="Support waits on the airline, hotel or other supplier: the answer "
        "clock is paused until they reply."
    )
    can_say_not_helped: bool = Field(
        description='"That did not help" (POST …/not-helped) reopens it now.'
    )
    timeline: list[TrackingStep]


def merged_into(ticket: Ticket, entry: TimelineEntry) -> str | None:
    """The request this one was merged into, on its own ``merged`` step (not on the
    other side's "absorbed" one, which names a ticket of perhaps another traveller)."""
    if entry.kind != "merged" or ticket.merged_into is None:
        return None
    named = entry.details.get("into") or entry.summary.removeprefix("Merged into ")
    return ticket.merged_into if named == ticket.merged_into else None


def visible(ticket: Ticket) -> list[TimelineEntry]:
    return [e for e in ticket.timeline if e.kind in SHOWN or merged_into(ticket, e) is not None]


def time_zone(ticket: Ticket) -> str:
    """The zone the traveller reads times in: their own, else the business's, else UTC."""
    return zone_name(ticket.traveller.time_zone, ticket.business_time_zone)


def read_at(moment: datetime, zone: str, language: str) -> str:
    return local_text(zoned(moment, zone), language)


def steps(ticket: Ticket, words: Mapping[str, str], language: str, zone: str) -> list[TrackingStep]:
    """Every step the traveller may see, summarised in ``language``, its time in ``zone``; a
    duplicate's merge says where their request continues (it reads "closed" otherwise,
    unexplained)."""
    shown = []
    for entry in visible(ticket):
        at, at_text = entry.at, read_at(entry.at, zone, language)
        into = merged_into(ticket, entry)
        if into is not None:
            summary = words["kind_merged_into"].format(ticket=into)
            shown.append(TrackingStep(at=at, at_text=at_text, kind=entry.kind, summary=summary))
            continue
        summary = words[f"kind_{WORDED_AS.get(entry.kind, entry.kind)}"]
        queue = entry.details.get("queue")
        if entry.kind == "routed" and queue:
            summary = words["kind_routed_to"].format(team=team_name(queue, language))
        message = entry.details.get("message") if entry.kind in QUOTED else None
        shown.append(
            TrackingStep(at=at, at_text=at_text, kind=entry.kind, summary=summary, message=message)
        )
    return shown


def subject(ticket: Ticket, words: Mapping[str, str], language: str) -> str | None:
    """What names the request for its traveller. A proactive ticket's own subject is the
    revision's summary for agents, in English: the page says the revision in their words."""
    if ticket.origin == "proactive":
        return disruption_text(ticket.disruption, words, language) if ticket.disruption else None
    if ticket.subject:
        return ticket.subject
    first = next((line.strip() for line in ticket.text.splitlines() if line.strip()), "")
    if len(first) > FIRST_WORDS:
        return first[:FIRST_WORDS].rstrip() + "…"
    return first or None


def disruption_text(disruption: DisruptionState, words: Mapping[str, str], language: str) -> str:
    """The disruption in the traveller's words, the dates as notify's notices write them."""
    when = local_span(disruption.service_date, disruption.last_service_date, language)
    key = f"disruption_{disruption.kind}"
    if disruption.on_schedule:
        key = "disruption_on_schedule"
    elif key not in words:
        key = "disruption_other"
    return words[key].format(reference=disruption.reference, date=when)


def handled_by(ticket: Ticket, words: Mapping[str, str], language: str) -> str:
    """Who is on it: the help centre that answered, a person (not named), their team, or
    "finding the right team" — never the latter for a resolved or closed ticket, which
    only staff resolve or close (a bot-answered ticket has no team or assignee)."""
    if ticket.status is TicketStatus.BOT_ANSWERED:
        return words["help_centre"]
    if ticket.assignee:
        return words["an_agent"]
    if ticket.queue:
        return words["our_team"].format(team=team_name(ticket.queue, language))
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return words["an_agent"]
    return words["being_routed"]


def expected_answer(ticket: Ticket, now: datetime | None = None) -> datetime | None:
    """The deadline of the clock that runs, as the console's (``running_due``): after a
    reopen, the new run's first response, which the routed notice promised too. None while
    it waits (on the traveller, whose move it is, or on a supplier): the clocks are paused,
    so their deadline is no time to expect; nor one already passed at ``now``: notify never
    promises such a time, nor does the page."""
    if ticket.status in REOPENABLE | WAITING | {TicketStatus.CLOSED}:
        return None
    running = running_due(ticket)
    if running is None or (now is not None and running[1] <= now):
        return None
    return running[1]


def tracking_view(ticket: Ticket, language: str, now: datetime | None = None) -> TrackingView:
    """What the traveller sees; ``now`` (the caller's clock) drops a deadline already passed."""
    words, zone, expected = WORDS(language), time_zone(ticket), expected_answer(ticket, now)
    return TrackingView(
        ticket_id=ticket.id,
        language=language,
        subject=subject(ticket, words, language),
        time_zone=zone,
        status=ticket.status,
        status_text=words[f"status_{ticket.status.value}"],
        handled_by=handled_by(ticket, words, language),
        agent_assigned=ticket.assignee is not None,
        expected_answer_by=expected,
        expected_answer_by_text=read_at(expected, zone, language) if expected else None,
        waiting_on_you=ticket.status is TicketStatus.WAITING_ON_TRAVELLER,
        waiting_on_supplier=ticket.status is TicketStatus.WAITING_ON_SUPPLIER,
        can_say_not_helped=ticket.status in REOPENABLE,
        timeline=steps(ticket, words, language, zone),
    )


def not_helped_refusal(ticket: Ticket) -> str:
    """Why "that did not help" cannot reopen the ticket, as the key of the traveller's words
    (``refused_<reason>``), never the state machine's "a routed ticket cannot be reopened":
    only an answer reopens, so a ticket not closed is still with the team."""
    return "closed" if ticket.status is TicketStatus.CLOSED else "with_our_team"
