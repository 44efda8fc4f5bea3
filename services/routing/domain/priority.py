"""Priority levels and what raises a case's urgency: the classifier, VIPs, sentiment,
repeat contacts and a near departure. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contracts.events import Priority
from services.routing.domain.triage_view import TriageView

RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}

_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL)


def rank(priority: Priority) -> int:
    return _ORDER.index(priority)


def highest(*priorities: Priority) -> Priority:
    return max(priorities, key=rank)


URGENCY_PRIORITY = {
    "critical": Priority.CRITICAL,
    "high": Priority.HIGH,
    "normal": Priority.NORMAL,
    "low": Priority.LOW,
}
REPEAT_CONTACTS_RAISE = 2
"""From the second repeat contact on, the traveller is chasing us: one level up."""
NEGATIVE_SENTIMENT_CONFIDENCE = 0.6
DEPARTURE_SOON = timedelta(hours=24)


def triage_priority(urgency: str | None, floor: Priority, proactive: bool = False) -> Priority:
    """The classifier's urgency as a priority; a proactive ticket's is the itinerary's.

    Intake sends ``normal`` for every contact, which is a default, not a
    judgement: only a priority above it is a floor, so a contact that says
    "no rush" can still be ``low``. A proactive ticket carries its incident's
    priority for the traveller (critical within 6 h of departure, else high:
    docs/suppliers.md); its text is TripCare's summary, and "car did not show
    up" reads critical however far away the pick-up is.
    """
    if proactive:
        return floor
    priority = URGENCY_PRIORITY.get(urgency or "", Priority.NORMAL)
    if rank(floor) > rank(Priority.NORMAL):
        return highest(priority, floor)
    return priority


@dataclass(frozen=True)
class UrgencySignals:
    """What raises a case's urgency beyond what its text says."""

    vip: str | None = None
    """``VIP tenant`` or ``VIP traveller`` when the tenant's routing policy says so."""
    negative_sentiment: bool = False
    repeat_contacts: int = 0
    departs_in: timedelta | None = None
    """Time to the traveller's next departure, from the trips read model (issue #8)."""

    def reasons(self) -> list[str]:
        found = [self.vip] if self.vip else []
        if self.negative_sentiment:
            found.append("negative sentiment")
        if self.repeat_contacts >= REPEAT_CONTACTS_RAISE:
            found.append(f"{self.repeat_contacts} repeat contacts")
        if self.departs_in is not None and self.departs_in <= DEPARTURE_SOON:
            found.append("departs within 24 h")
        return found


def is_negative(triage: TriageView | None) -> bool:
    """Negative sentiment the classifier is sure enough of to raise the urgency."""
    return (
        triage is not None
        and triage.sentiment == "negative"
        and triage.sentiment_confidence >= NEGATIVE_SENTIMENT_CONFIDENCE
    )


def adjust_priority(base: Priority, signals: UrgencySignals) -> tuple[Priority, list[str]]:
    """One level up per signal, but never to critical on signals alone.

    Critical sends a case to the expert desk with a five-minute target; it is
    kept for travel emergencies (the classifier's cues) and for tickets
    reopened from high, so VIPs and angry repeat writers cannot flood it.
    """
    reasons = signals.reasons()
    cap = highest(base, Priority.HIGH)
    priority = base
    for _ in reasons:
        priority = min(RAISED[priority], cap, key=rank)
    return priority, reasons


def opening_priority(
    base: Priority, signals: UrgencySignals, *, proactive: bool
) -> tuple[Priority, str]:
    """A new ticket's priority, and the note its routing reason shows.

    A proactive ticket's base already counts its departure and is high or
    critical, which signals never raise (they stop at high): it keeps it.
    """
    if proactive:
        return base, f"itinerary {base.value}"
    priority, reasons = adjust_priority(base, signals)
    note = f"classifier {base.value}"
    if not reasons:
        return priority, note
    if priority is base:  # already at high or above: named, not called a raise
        return priority, f"{note} ({', '.join(reasons)}: signals stop at high)"
    return priority, f"{note}, raised: {', '.join(reasons)}"
