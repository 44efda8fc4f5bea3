"""The urgency rubric's rules by category (docs/routing.md, "Urgency rubric"), written once.

The triage model applies ``CATEGORY_URGENCY`` over its urgency; the template corpus
(``data/routing/build_corpus.py``) labels its templates with ``TEMPLATE_URGENCY`` and
composes "travelling now" critical variants only of ``TRAVELLING_NOW`` categories. Pure
data: no imports, so the corpus builder can read it without loading the model.
"""

TRAVELLING_NOW = frozenset(
    {
        "booking_failure",
        "change_rebook",
        "flight_disruption",
        "hotel_issue",
        "ground_transport",
        "baggage",
        "approval",
    }
)
"""Categories where travelling now ("I fly in two hours") makes a case critical; an invoice
question does not become critical because the traveller is at the airport."""

CATEGORY_URGENCY = {
    "service_complaint": ("high", ("normal", "low")),
    "other": ("low", ("normal", "high")),
}
"""Urgency the rubric gives a category, and the model's urgencies it replaces: a complaint
about the service itself is high; greetings, thanks and information (other) are low (an
"other" is never high on the real-text sets: it is low, or critical for an emergency)."""

TEMPLATE_URGENCY = {
    ("policy_question", "normal"): "low",
    ("service_complaint", "normal"): "high",
}
"""The same rubric on the templates' labels: a question about the travel policy is
information (low) unless something raises it, and a complaint about the service itself is
high. Older templates carry "normal" for both."""
