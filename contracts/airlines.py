"""IATA designators of airlines a corporate traveller flies, for reading flight numbers
written in lower case ("ca1501", "qs 123"). A data table.

Upper case ``CA1501`` is a flight number whatever the designator (``references``); lower
case is everyday words too ("no 1", "at 10", "ok 2", "as 3"), so a lower-case or mixed
one counts only when its designator is an airline here, and never one that is also a
short word or unit travellers write before a number (``NOT_IN_LOWER_CASE``).
"""

from __future__ import annotations


def _codes(*rows: str) -> frozenset[str]:
    return frozenset(code for row in rows for code in row.split())


AIRLINES: frozenset[str] = _codes(
    # Greater China
    "CA MU CZ HU 3U ZH MF FM HO SC KN GS 8L 9C PN G5 EU DZ JD GJ TV QW BK NS OQ Y8 A6 GX",
    "CX HX UO NX BR CI AE IT JX B7",
    # Japan and Korea
    "NH JL MM GK BC NU HD 6J 7G IJ KE OZ 7C LJ TW ZE BX RS YP",
    # South-east and South Asia
    "SQ TR MH AK OD FD TG WE SL DD VN VJ QH PR 5J Z2 GA QZ JT ID BI 8M AI 6E UK SG IX G8",
    "QP UL PK BG BS",
    # Middle East and Africa
    "EK EY QR FZ G9 WY GF KU SV XY RJ ME MS ET KQ SA WB AT",
    # Europe
    "LH LX OS SN EW 4U AF KL BA VS IB VY UX AY SK DY D8 AZ LO EI FR U2 W6 TK PC A3 TP OK QS",
    "JU OU BT HV TO V7 SU S7",
    # Americas and Oceania
    "AA DL UA AS B6 WN NK F9 HA AC WS TS AM Y4 CM AV LA JJ G3 AD AR QF VA JQ NZ FJ",
)

NOT_IN_LOWER_CASE: frozenset[str] = _codes(
    "AS AT AM ID IT ME OK TO UK US OS MS FM VS TV PC SG WE DD BS NO",
    "G3 G5 G8 G9 D7 D8 Z2",
)
"""Designators that are also words, abbreviations or units (``as 10``, ``at 10``, ``am 9``,
``id 12``, ``it 1``, ``me 2``, ``ok 2``, ``to 5``, ``uk 7``, ``pc 2``, ``we 3``…), or
that begin a Chinese train number written in lower case (``g5066``, ``d7012``, ``z217``)."""
