"""Structured JSON logs carrying trace ids, with personal data masked.

Every line a service writes is one JSON object, tracebacks included (as ``exc``), so a
log shipper reads it whole: the libraries that bring handlers of their own (uvicorn's
plain text, FastStream's coloured text) are routed through the root's JSON handler, and
Python's warnings with them. A message that is itself a traceback (Starlette hands uvicorn
a failed start-up's that way) goes to ``exc`` too, its exception's line being the ``msg``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from contracts.mail import TICKET_ID
from runtime.telemetry import trace_ids

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
"""An address's local part from its first character only: tried from every character of a
long run of letters or digits, matching cost the square of the run's length."""
_DIGIT_RUN = re.compile(r"(?<![\w])\+?\d[\d\s-]*")
"""Where a phone number may start, taken whole: ``_phone`` finds the number in it."""
_PHONE = re.compile(r"\+?\d[\d\s-]{6,}\d")
_PHONE_END = re.compile(r"\d(?=[\s-])")
_WORD = re.compile(r"\w")
_CN_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PASSPORT = re.compile(r"\b([A-Z]{1,2})\d{6,8}\b")


def mask_pii(text: str) -> str:
    """Hide e-mail addresses, phone, Chinese ID and passport numbers."""
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _CN_ID.sub(r"\1********\2", text)
    text = _DIGIT_RUN.sub(_phone, text)
    return _PASSPORT.sub(r"\1******", text)


def _phone(run: re.Match[str]) -> str:
    """A run of digits, spaces and dashes with its phone number masked: the longest part
    from its start that ends in a digit with no letter or digit after it, if that is a
    number's length. One pass over the run (a pattern that backtracks from every digit
    after a space or dash cost the square of the run's length)."""
    found = run.group()
    end = len(found)
    if found[-1].isdecimal() and _WORD.match(run.string, run.end()):
        ends = [m.end() for m in _PHONE_END.finditer(found)]
        end = ends[-1] if ends else 0
    while end and not found[end - 1].isdecimal():
        end -= 1
    number = found[:end]
    if not _PHONE.fullmatch(number):
        return found
    return "*" * (len(number) - 4) + number[-4:] + found[end:]


ROUTED = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "faststream",
    "faststream.access",
    "faststream.access.rabbit",
)
"""Loggers their library gives a text handler of its own: their records go to the root's."""
DRIVERS = ("pymongo", "aiormq", "aio_pika")
"""Their DEBUG lines print store documents and message bodies whole (travellers' names and
words, tracking links), past ``mask_pii``, by the thousand a second: a DEBUG level for
TripCare leaves them at INFO."""
MESSAGE_FIELDS = ("exchange", "queue", "message_id")
"""The message a consumer's line is about (FastStream's log context), kept as fields."""
CONTEXT_FIELDS = ("message_id", "ticket_id")
"""What a line written while handling one message or request is about (``about``)."""
_about: ContextVar[dict[str, str]] = ContextVar("log_about", default={})  # noqa: B039


TICKET = re.compile(TICKET_ID)


def ticket_field(value: object) -> str | None:
    """``value`` when it is a ticket id (a message's correlation id, a route's
    ``ticket_id``), for a line's ``ticket_id`` field; else None (a conversation's id, junk)."""
    return value if isinstance(value, str) and TICKET.fullmatch(value) else None


@contextmanager
def about(**fields: str | None) -> Iterator[None]:
    """Every line written inside carries these fields (``CONTEXT_FIELDS``; ``None`` ones are
    left out): a consumer's own lines name the message and the ticket it is about, as
    FastStream's lines name the message."""
    token = _about.set({**_about.get(), **{k: v for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _about.reset(token)


TRACEBACK = "Traceback (most recent call last):"


def exception_line(traceback: str) -> str:
    """The line naming the (last) exception of a formatted traceback: the first one after
    its last frame that is not indented (a multi-line message's first line)."""
    lines = traceback.splitlines()
    frames = [n for n, line in enumerate(lines) if line.startswith("  File ")]
    after = lines[frames[-1] + 1 :] if frames else lines[1:]
    return next((line for line in after if line and not line[0].isspace()), lines[-1].strip())


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().rstrip()
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": mask_pii(message),
        }
        if message.startswith(TRACEBACK) and not record.exc_info:
            entry["msg"], entry["exc"] = mask_pii(exception_line(message)), entry["msg"]
        ids = trace_ids()
        if ids:
            entry["trace_id"], entry["span_id"] = ids
        for field in MESSAGE_FIELDS:
            if value := record.__dict__.get(field):
                entry[field] = str(value)
        for field in CONTEXT_FIELDS:
            if value := record.__dict__.get(field) or _about.get().get(field):
                entry.setdefault(field, str(value))
        if record.exc_info:
            entry["exc"] = mask_pii(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_pii(record.stack_info)
        return orjson.dumps(entry).decode()


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ROUTED:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
    logging.captureWarnings(True)
    for driver in DRIVERS:
        logging.getLogger(driver).setLevel(max(logging.INFO, root.level))
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for client in ("httpx", "httpcore"):
        # their INFO line is each request's URL, whose query may be a traveller's words
        # (the console's knowledge-base search): URL-encoded, "li.lei%40corp.example" and
        # "%2B86+138…" slip past mask_pii
        logging.getLogger(client).setLevel(logging.WARNING)
