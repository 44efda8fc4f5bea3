"""Booking references in free text: order numbers, PNRs, hotel confirmations, trains, flights.

Intake attaches them to every contact; routing's offline KB evaluation reads the same way, so the
rule lives here, in the shared vocabulary, once. The text is read in ASCII width first
(``contracts.text.fold_width``): Chinese and Japanese IMEs type ``ＭＵ５１３８`` or ``CA１５０１``,
and a reference is kept as ``MU5138``, the form bookings and suppliers' events name it by.
Digits are ASCII ones only: a Unicode digit class would take Arabic-Indic ones as well.
A flight number ends where its digits do and no Latin letter follows (``AB12CD`` is a PNR,
not flight AB12), while ``MU5138便`` or ``CA981号`` are flights: Chinese and Japanese run on.

A reference is matched in one form (``canonical_reference``): routing's care finds bookings and
disruptions by it, intake threads contacts and joins disruptions by it, and both keep the
reference as it was written for people to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contracts.airlines import AIRLINES, NOT_IN_LOWER_CASE
from contracts.events import BookingReference, ReferenceKind
from contracts.text import fold_width

_TRAIN_WORDS = "火车|火車|高铁|高鐵|动车|動車|列车|列車"
"""A China Railway number (``G1234``, ``D3101``) is read as a train beside one of these or
with ``次`` after it; alone it is left to the flight pattern, as ``G5`` and ``D8`` are airlines."""

_LABEL_GAP = r"\s*(?:[:：#]|是|为|為|は)?\s*"
"""Between a label and its value: a colon or ``#``, or the copula or particle a sentence puts
there (``订单号是…``, ``予約番号は…``)."""

_REFERENCE_PATTERNS: tuple[tuple[ReferenceKind, re.Pattern[str]], ...] = (
    (
        ReferenceKind.ORDER,
        re.compile(
            r"(?:订单(?:号码?|编号)?|訂單(?:編號|號碼?|号)?|注文番号|order\s*(?:no\.?|number|#)?)"
            rf"{_LABEL_GAP}([A-Z0-9-]{{6,24}})",
            re.I,
        ),
    ),
    (
        ReferenceKind.HOTEL_CONFIRMATION,
        re.compile(
            r"(?:确认(?:号码?|码)|確認(?:號碼?|碼|番号)|confirmation\s*(?:no\.?|number|#)?)"
            rf"{_LABEL_GAP}([A-Z0-9-]{{5,20}})",
            re.I,
        ),
    ),
    (
        ReferenceKind.PNR,
        re.compile(
            r"(?:PNR|预订编号|訂位代號|予約番号|booking\s*ref(?:erence)?)"
            rf"{_LABEL_GAP}([A-Z0-9]{{6}})(?![A-Z0-9])",
            re.I,
        ),
    ),
    (
        ReferenceKind.TRAIN,
        re.compile(r"(?<![A-Z0-9])([GDCZTK][0-9]{1,4})(?:次|号列车|號列車)"),
    ),
    (
        ReferenceKind.TRAIN,
        re.compile(
            rf"(?:{_TRAIN_WORDS}|车次|車次|[Tt]rain)(?:票|\s*(?:no\.?|#))?\s*[:：]?\s*"
            r"([GDCZTK][0-9]{1,4})(?![0-9A-Za-z])"
        ),
    ),
    (
        ReferenceKind.TRAIN,
        re.compile(rf"(?<![A-Z0-9])([GDCZTK][0-9]{{1,4}})\s*(?:{_TRAIN_WORDS})"),
    ),
    (
        ReferenceKind.FLIGHT,
        re.compile(
            r"(?<![A-Z0-9])((?:[A-Z]{2}|[A-Z][0-9]|[0-9][A-Z])\s?[0-9]{2,4})(?![0-9A-Za-z])"
        ),
    ),
)
MIN_ORDER_DIGITS = 4
_IATA_NOT_AIRLINES = {"ID", "NO", "TO", "ON", "AT", "IN", "OR", "PM", "AM"}
_LOWER_CASE_FLIGHT = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]|[0-9][A-Za-z])[\s-]?([0-9]{1,4})(?![A-Za-z0-9])"
)
"""``ca1501``, ``qs 123``, ``Ca-981``: an airline's designator (``contracts.airlines``) and
1 to 4 digits, in any case; upper-case ones are the pattern above's."""


FLIGHT_NUMBER = re.compile(r"([A-Z]{2,3}|[A-Z][0-9]|[0-9][A-Z])-?0*([0-9]{1,4}[A-Z]?)")
"""An airline designator (IATA or ICAO) and a number of up to four digits, which booking
systems often pad with zeros: ``CA0981`` is ``CA981``."""
MATCHED_KINDS = {ReferenceKind.FLIGHT: "flight", ReferenceKind.TRAIN: "train"}
"""The references matched in their normal form, by the resource a booking names them as."""


def normal_reference(reference: str, resource: str | None = None) -> str:
    """``ca 1501`` and ``CA1501`` are the same flight, and so are ``CA 0981``, ``CA-981``
    and ``CA981``, and ``ＣＡ９８１`` as an IME types it; any other reference (a hotel's id)
    keeps its zeros."""
    compact = "".join(fold_width(reference).split()).upper()
    if resource == "flight" and (flight := FLIGHT_NUMBER.fullmatch(compact)):
        return flight[1] + flight[2]
    return compact


def canonical_reference(reference: BookingReference) -> str:
    """The form a reference is matched by: a flight's or a train's normal one (``NH0920`` is
    ``NH920``), any other as written (an order number ``AB001234`` is no padded flight)."""
    resource = MATCHED_KINDS.get(reference.kind)
    return reference.value if resource is None else normal_reference(reference.value, resource)


def canonical_references(references: Iterable[BookingReference]) -> list[str]:
    """Each reference's ``canonical_reference`` once, sorted."""
    return sorted({canonical_reference(r) for r in references})


def _lower_case_flights(text: str) -> list[str]:
    found = []
    for match in _LOWER_CASE_FLIGHT.finditer(text):
        designator, number = match.group(1), match.group(2)
        if designator.isupper() or designator.isdigit():
            continue  # upper case: the general pattern decides
        code = designator.upper()
        if code in AIRLINES and code not in NOT_IN_LOWER_CASE:
            found.append(code + number)
    return found


def _order_number(value: str) -> bool:
    """An order number is mostly a number (``ORD-77812345``, ``TW20261125``): a hotel's id
    (``TYO-HILTON-01``) or a word (``order cancelled``) after "order" is none."""
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    return digits >= MIN_ORDER_DIGITS and letters <= digits


def extract_references(text: str) -> list[BookingReference]:
    """Order numbers, PNRs, hotel confirmations, train and flight numbers in free text."""
    text = fold_width(text)
    found: list[BookingReference] = []
    taken: set[str] = set()
    for kind, pattern in _REFERENCE_PATTERNS:
        for match in pattern.finditer(text):
            value = re.sub(r"\s", "", match.group(1)).upper()
            if value in taken:
                continue
            if kind is ReferenceKind.FLIGHT and value[:2] in _IATA_NOT_AIRLINES:
                continue
            if kind is ReferenceKind.ORDER and not _order_number(value):
                continue
            taken.add(value)
            found.append(BookingReference(kind=kind, value=value))
    for value in _lower_case_flights(text):
        if value not in taken:
            taken.add(value)
            found.append(BookingReference(kind=ReferenceKind.FLIGHT, value=value))
    return found[:20]
