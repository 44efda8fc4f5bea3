"""What a queue is called in a sentence to a traveller, in each language.

Routing's events name queues by id (``disruption``); a traveller must read
"our flight disruption team", never "disruption 团队". Shared vocabulary: notify's
messages and intake's tracking page and JSON use the same names. The names of
routing's default queues are here; notify's ``TRIPCARE_NOTIFY_TEAM_NAMES`` adds a
tenant's own queues or renames these. A queue without a name in the reader's
language is "our support team" in that language — a generic phrase, never the raw id.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts.languages import FALLBACK_LANGUAGE

TeamNames = Mapping[str, Mapping[str, str]]
"""Queue id → language → the team's name as it reads after "our" (en) or on its own."""

SUPPORT_TEAM: Mapping[str, str] = {
    "zh-Hans": "客服团队",
    "zh-Hant": "客服團隊",
    "en": "support team",
    "ja": "サポートチーム",
}

EXPERT_QUEUE = "expert"
"""Routing's expert desk, an appeal's reviewers: a traveller reads it by its team's name."""

DEFAULT_TEAM_NAMES: TeamNames = {
    "booking": {
        "zh-Hans": "预订与改签团队",
        "zh-Hant": "預訂與變更團隊",
        "en": "booking and changes team",
        "ja": "予約・変更チーム",
    },
    "disruption": {
        "zh-Hans": "航班异常处理团队",
        "zh-Hant": "航班異常處理團隊",
        "en": "travel disruption team",
        "ja": "運航トラブル対応チーム",
    },
    "hotel_ground": {
        "zh-Hans": "酒店与地面交通团队",
        "zh-Hant": "飯店與地面交通團隊",
        "en": "hotel and ground transport team",
        "ja": "ホテル・地上交通チーム",
    },
    "finance": {
        "zh-Hans": "发票与报销团队",
        "zh-Hant": "發票與報帳團隊",
        "en": "invoices and expenses team",
        "ja": "請求書・経費精算チーム",
    },
    "accounts": {
        "zh-Hans": "账户与审批团队",
        "zh-Hant": "帳戶與簽核團隊",
        "en": "accounts and approvals team",
        "ja": "アカウント・承認チーム",
    },
    "complaints": {
        "zh-Hans": "投诉处理团队",
        "zh-Hant": "投訴處理團隊",
        "en": "customer relations team",
        "ja": "お客様相談チーム",
    },
    EXPERT_QUEUE: {
        "zh-Hans": "专家团队",
        "zh-Hant": "專家團隊",
        "en": "senior specialist team",
        "ja": "専門チーム",
    },
    "general": SUPPORT_TEAM,
}


def team_name(queue: str | None, language: str, names: TeamNames = DEFAULT_TEAM_NAMES) -> str:
    """The queue's team in ``language``; else the generic support team in that language."""
    generic = SUPPORT_TEAM.get(language, SUPPORT_TEAM[FALLBACK_LANGUAGE])
    return names.get(queue or "", {}).get(language) or generic
