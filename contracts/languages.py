"""The languages TripCare speaks to travellers, and how a language tag maps onto them.

Shared vocabulary: notify picks templates and feedback picks pages by it.
"""

from __future__ import annotations

LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")
FALLBACK_LANGUAGE = "en"

_ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
    "en": "en",
    "ja": "ja",
}


def supported_language(tag: str | None) -> str | None:
    """Map a tag (``zh-TW``, ``ja-JP``, ``zh-Hant-HK``…) to one of ``LANGUAGES``, or None."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    for candidate in ("-".join(parts[:2]), parts[0]):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return None
