"""Traditional Chinese texts read right in Taiwan: no mainland vocabulary.

zh-Hant serves Taiwan and Hong Kong (``zh-TW``, ``zh-HK``, ``zh-MO`` all map to it). Converting
simplified text to traditional characters keeps mainland words: notices told travellers in
Taiwan of their 酒店 (a hostess bar there) and that the desk was 改簽-ing their flight. Every
zh-Hant text a traveller or staff member can be sent is scanned — notify's templates (their
source, so every branch), the team names notify and intake's tracking page share, the
knowledge base's answers notify sends as the bot's reply, intake's replies and markers and
the tracking page, feedback's survey and appeal pages.

``MAINLAND_TERMS`` lists words that read as mainland usage in Taiwan and have a form that
reads right there and that Hong Kong readers understand too; each maps to that form. Not
listed, because Taiwan or Hong Kong uses them in what our texts mean, or they mean something
else there that a text may rightly say: 航班 (Taiwan writes 班機 and 航班 alike), 登機口
and 取消 (both used in Taiwan), 投訴 (standard in Hong Kong, understood in Taiwan), 文件,
程序, 數據, 支持 (documents, procedures, statistics, support: correct in Taiwan too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.teams import DEFAULT_TEAM_NAMES, SUPPORT_TEAM
from services.intake.api.callbacks.common import PASSIVE_TEXT
from services.intake.channels.email import ATTACHMENTS_ONLY
from services.intake.channels.long_mail import SHORTENED
from services.notify.render import TEMPLATES
from services.routing.kb.articles import SEED_DIR

LANGUAGE = "zh-Hant"
ROOT = Path(__file__).resolve().parents[2]

MAINLAND_TERMS = {
    "酒店": "飯店",
    "改簽": "改票、更改",
    "信息": "訊息、資訊",
    "網絡": "網路",
    "視頻": "影片",
    "質量": "品質",
    "默認": "預設",
    "賬號": "帳號",
    "賬戶": "帳戶",
    "激活": "啟用",
    "短信": "簡訊",
    "登錄": "登入 (Taiwan's 登錄 is recording an entry, never signing in)",
    "航站樓": "航廈",
    "檢票口": "剪票口",
    "用車": "車輛、接送",
    "審批": "簽核、核准",
    "報銷": "報帳 (Taiwan's 報銷 is also slang for broken, written off)",
    "軟件": "軟體",
    "鏈接": "連結",
    "打印": "列印",
    "點擊": "點選",
    "屏幕": "螢幕",
    "出租車": "計程車",
}


def _texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every zh-Hant text TripCare can send or show a traveller or staff."""
    for path in sorted((TEMPLATES / LANGUAGE).glob("*.j2")):
        yield f"notify template {path.name}", path.read_text(encoding="utf-8")
    yield "generic team name", SUPPORT_TEAM[LANGUAGE]
    for queue, names in DEFAULT_TEAM_NAMES.items():
        yield f"team name of {queue}", names[LANGUAGE]
    for path in sorted(SEED_DIR.glob("*.json")):
        translation = json.loads(path.read_text(encoding="utf-8"))["translations"][LANGUAGE]
        yield f"KB article {path.stem}", f"{translation['title']}\n{translation['answer']}"
    yield "intake passive reply", "\n".join(PASSIVE_TEXT[LANGUAGE])
    yield "intake attachments-only text", ATTACHMENTS_ONLY[LANGUAGE]
    yield "intake shortened-mail marker", "\n".join(SHORTENED[LANGUAGE].values())
    tracking = ROOT / "services/intake/templates/tracking/messages.json"
    for key, text in json.loads(tracking.read_text(encoding="utf-8")).items():
        yield f"tracking page {key}", text[LANGUAGE]
    feedback = ROOT / f"services/feedback/templates/messages/{LANGUAGE}.json"
    for key, text in json.loads(feedback.read_text(encoding="utf-8")).items():
        yield f"feedback page {key}", text


TEXTS = list(_texts())


def test_the_scan_covers_every_source() -> None:
    """A source renamed or emptied must not make the scan pass on nothing."""
    sources = {where.split(" ")[0] for where, _ in TEXTS}
    assert sources >= {"notify", "team", "KB", "intake", "tracking", "feedback"}
    assert len([w for w, _ in TEXTS if w.startswith("notify template")]) >= 18


@pytest.mark.parametrize(("where", "text"), TEXTS, ids=[w for w, _ in TEXTS])
def test_no_zh_hant_text_uses_mainland_vocabulary(where: str, text: str) -> None:
    found = {term: use for term, use in MAINLAND_TERMS.items() if term in text}
    assert not found, f"{where}: mainland terms, use instead: {found}"
