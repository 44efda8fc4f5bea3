"""``category_holder``: one category, one tenant queue; the defaults may be overridden."""

from __future__ import annotations

from services.routing.assignment.domain.queues import QueueDef, category_holder

INVOICES = QueueDef(id="invoices", name="Invoices", categories=("invoice",))
BILLS = QueueDef(id="bills", name="Bills", categories=("billing",))


def test_another_tenant_queue_holding_a_category_is_named() -> None:
    assert category_holder([BILLS, INVOICES], "invoices2", ["invoice"]) == (
        "invoice",
        "invoices",
    )


def test_the_queue_being_redefined_does_not_conflict_with_itself() -> None:
    assert category_holder([BILLS, INVOICES], "invoices", ["invoice", "reimbursement"]) is None


def test_categories_nobody_else_takes_and_a_catch_all_desk_are_free() -> None:
    assert category_holder([BILLS, INVOICES], "refunds", ["cancel_refund"]) is None
    assert category_holder([BILLS, INVOICES], "general", []) is None
