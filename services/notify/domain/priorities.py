"""A ticket's priority as a staff notice names it, in the notice's language.

Events carry the code (``critical``); an agent reading Chinese or Japanese read it bare in
their sentence ("优先级由 high 提升为 critical"). The words are the staff console's
(``services/intake/templates/console/messages.json``: 紧急, 高, 普通, 低), so a notice and
the console name a priority alike; the code follows in parentheses, as the API, the console's
filters and mail rules on the subject's ``[critical]`` tag know it.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts.events import Priority

PRIORITY_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh-Hans": {
        Priority.CRITICAL: "紧急",
        Priority.HIGH: "高",
        Priority.NORMAL: "普通",
        Priority.LOW: "低",
    },
    "zh-Hant": {
        Priority.CRITICAL: "緊急",
        Priority.HIGH: "高",
        Priority.NORMAL: "普通",
        Priority.LOW: "低",
    },
    "ja": {
        Priority.CRITICAL: "緊急",
        Priority.HIGH: "高",
        Priority.NORMAL: "通常",
        Priority.LOW: "低",
    },
}
"""Language → priority code → its word. English has none: its codes are English words."""


def priority_text(code: str, language: str) -> str:
    """``紧急（critical）`` in Chinese and Japanese; the code alone in English, for a code
    without a word, and '' (an older event without a priority) as ''."""
    name = PRIORITY_NAMES.get(language, {}).get(code)
    return f"{name}（{code}）" if name else code
