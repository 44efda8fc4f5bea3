"""Traditional Chinese texts read right in Taiwan: no mainland vocabulary.

zh-Hant serves Taiwan and Hong Kong (``zh-TW``, ``zh-HK``, ``zh-MO`` all map to it). Converting
simplified text to traditional characters keeps mainland words: notices told travellers in
Taiwan of their 酒店 (a hostess bar there) and that the desk was 改簽-ing their flight. Every
zh-Hant text a traveller or staff member can be sent or shown is scanned (the sources are
``tests/wording_sources.py``'s, shared with the Japanese check).

``MAINLAND_TERMS`` lists words that read as mainland usage in Taiwan and have a form that
reads right there and that Hong Kong readers understand too; each maps to that form. Not
listed, because Taiwan or Hong Kong uses them in what our texts mean, or they mean something
else there that a text may rightly say: 航班 (Taiwan writes 班機 and 航班 alike), 登機口
and 取消 (both used in Taiwan), 投訴 (standard in Hong Kong, understood in Taiwan), 文件,
程序, 數據, 支持 (documents, procedures, statistics, support: correct in Taiwan too).
"""

from __future__ import annotations

import pytest

from tests.wording_sources import SOURCES, texts

LANGUAGE = "zh-Hant"

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


TEXTS = list(texts(LANGUAGE))


def test_the_scan_covers_every_source() -> None:
    """A source renamed or emptied must not make the scan pass on nothing."""
    sources = {where.split(" ")[0] for where, _ in TEXTS}
    assert sources >= SOURCES
    assert len([w for w, _ in TEXTS if w.startswith("notify template")]) >= 18


@pytest.mark.parametrize(("where", "text"), TEXTS, ids=[w for w, _ in TEXTS])
def test_no_zh_hant_text_uses_mainland_vocabulary(where: str, text: str) -> None:
    found = {term: use for term, use in MAINLAND_TERMS.items() if term in text}
    assert not found, f"{where}: mainland terms, use instead: {found}"
