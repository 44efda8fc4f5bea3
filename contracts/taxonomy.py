"""The contact categories: routing classifies into them and feedback reports by them.

Names are part of the contract; a new category is an addition, never a rename.
"""

from __future__ import annotations

from typing import Literal, get_args

Category = Literal[
    "booking_failure",
    "change_rebook",
    "cancel_refund",
    "flight_disruption",
    "hotel_issue",
    "ground_transport",
    "baggage",
    "invoice",
    "reimbursement",
    "approval",
    "account_access",
    "policy_question",
    "billing",
    "service_complaint",
    "other",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
