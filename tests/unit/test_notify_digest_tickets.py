"""A digest never merges different tickets under one ticket's thread.

Notify folds a person's updates within the rate window into one message. It folded
every ticket's: a traveller who wrote twice (web form, e-mail) got "2 updates on your
requests [TC-A]", answering TC-A's thread and listing TC-B's update too, so a reply about
TC-B joined TC-A. The traveller's side (traveller, booker) now gets one digest per
ticket, threaded to it; staff, whose mail names no ticket, still get one digest across
tickets — their storm of alerts stays one message — and it names no single ticket to a
channel (no ``ticket_id``, no link), each item naming its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts.events import ReplyChannel, Traveller
from services.notify.channels.mail_thread import Thread, compose
from services.notify.channels.sender import Outgoing
from services.notify.domain.delivery import Delivery
from services.notify.domain.digest import digest_values, plan
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.rate_limit import RateLimit
from services.notify.domain.recipients import Role
from services.notify.domain.route import Hop
from services.notify.render import Renderer
from tests.factories import T0

EMAIL = [Hop(channel=ReplyChannel.EMAIL, address="li@acme.example")]
LI = Traveller(id="email:li@acme.example", language="en")
AGENT = Traveller(id="agent-7", language="en")


def notice(ticket_id: str, n: int, role: Role = Role.TRAVELLER) -> Delivery:
    person = LI if role is Role.TRAVELLER else AGENT
    told = Notice(ticket_id, person, "ticket_routed", {"link": f"https://t/{ticket_id}"}, role)
    rendered = Rendered("en", f"Your request {ticket_id} is with us", f"update {n}")
    at = T0 + timedelta(seconds=n)
    return Delivery.create("acme", told, rendered, EMAIL, source_message_id=f"m{n}", now=at)


def sent(delivery: Delivery, at: datetime) -> Delivery:
    delivery.claim(at, timedelta(seconds=30))
    delivery.succeed(at, "<x@y>")
    return delivery


def test_a_travellers_digest_keeps_to_the_first_tickets_notices() -> None:
    a1, b1, a2 = notice("TC-A", 1), notice("TC-B", 2), notice("TC-A", 3)

    todo = plan([a1, b1, a2], T0 + timedelta(seconds=5), RateLimit())

    assert (todo.leader, todo.members, todo.deferred) == (a1, [a2], [])


def test_the_other_tickets_notices_follow_in_their_own_digest_at_the_next_slot() -> None:
    limit = RateLimit(limit=1, window=timedelta(minutes=1))
    a1, b1, b2 = notice("TC-A", 1), notice("TC-B", 2), notice("TC-B", 3)
    now = T0 + timedelta(seconds=5)
    first = plan([a1, b1, b2], now, limit)
    assert (first.leader, first.members) == (a1, [])
    sent(a1, now)

    held = plan([a1, b1, b2], now, limit)
    opened = plan([a1, b1, b2], now + timedelta(minutes=1), limit)

    assert (held.leader, held.deferred) == (None, [b1, b2])
    assert (opened.leader, opened.members) == (b1, [b2])


def test_a_bookers_digest_is_per_ticket_too() -> None:
    a1, b1 = notice("TC-A", 1, Role.BOOKER), notice("TC-B", 2, Role.BOOKER)

    assert plan([a1, b1], T0 + timedelta(seconds=5), RateLimit()).members == []


def test_a_staff_digest_spans_tickets_and_names_no_single_one_to_the_channel() -> None:
    a1, b1 = notice("TC-A", 1, Role.AGENT), notice("TC-B", 2, Role.AGENT)
    todo = plan([a1, b1], T0 + timedelta(seconds=5), RateLimit())
    assert (todo.leader, todo.members) == (a1, [b1])

    values = digest_values(a1, [b1])
    a1.fold([b1], Renderer().digest("en", values))
    outgoing = Outgoing.of(a1)
    mail = compose(outgoing, "Support <s@t.example>", "mail.test")

    assert (outgoing.ticket_id, outgoing.link) == (None, None)
    assert "In-Reply-To" not in mail
    assert "[TC-" not in str(mail["Subject"])
    assert ("TC-A" in a1.body, "TC-B" in a1.body) == (True, True)


def test_a_travellers_digest_is_threaded_to_its_ticket_and_reads_as_one_request() -> None:
    a1, a2 = notice("TC-AAAAAAAAAAAA", 1), notice("TC-AAAAAAAAAAAA", 2)
    a1.fold([a2], Renderer().digest("en", digest_values(a1, [a2])))

    sent = Thread(root="<TC-AAAAAAAAAAAA@mail.test>")  # the ticket's first mail, as sent
    mail = compose(Outgoing.of(a1), "Support <s@t.example>", "mail.test", sent)

    assert mail["Subject"] == "2 updates on your request [TC-AAAAAAAAAAAA]"
    assert mail["In-Reply-To"] == "<TC-AAAAAAAAAAAA@mail.test>"
    assert Outgoing.of(a1).link == "https://t/TC-AAAAAAAAAAAA"


def told(template: str, values: dict[str, str], n: int, role: Role = Role.TRAVELLER) -> Delivery:
    person = Traveller(id="dingtalk:zw", language="zh-Hans") if role is Role.TRAVELLER else AGENT
    notice_ = Notice("TC-K4KHMRPNQDCR", person, template, values, role)
    rendered = Renderer().render(notice_)
    at = T0 + timedelta(seconds=n)
    return Delivery.create("acme", notice_, rendered, EMAIL, source_message_id=f"m{n}", now=at)


def test_a_travellers_digest_lists_each_update_once_not_its_subject_again() -> None:
    """Each notice's text already says what happened to which request ("我们已回复您的工单
    TC-…：…"); led by its subject it read "您的工单 TC-… 有新回复：我们已回复您的工单 TC-…：",
    the ticket named four times in two lines."""
    ticket = {"ticket_id": "TC-K4KHMRPNQDCR"}
    replied = told("ticket_replied", {**ticket, "message": "我们已加急处理您的退款。"}, 1)
    resolved = told("ticket_resolved", {**ticket, "message": "退款已原路退回。"}, 2)

    digest = Renderer().digest("zh-Hans", digest_values(replied, [resolved]))

    assert digest.body == (
        "自上次通知以来的更新：\n\n"
        "- 我们已回复您的工单 TC-K4KHMRPNQDCR：\n\n我们已加急处理您的退款。\n"
        "- 您的工单 TC-K4KHMRPNQDCR 已处理完毕：退款已原路退回。"
    )


def test_a_staff_digest_still_names_each_notice_by_its_subject() -> None:
    a1, b1 = notice("TC-A", 1, Role.AGENT), notice("TC-B", 2, Role.AGENT)

    digest = Renderer().digest("en", digest_values(a1, [b1]))

    assert "- Your request TC-A is with us: update 1" in digest.body
