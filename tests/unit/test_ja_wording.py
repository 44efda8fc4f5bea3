"""Japanese texts are Japanese: no Chinese characters or wording mixed in.

Chinese and Japanese share most characters, so a Chinese form copied into a Japanese text
(订单 for 注文, 處理 for 処理, 航班 for 便) looks plausible and passes every check on the
script. Every ja text a traveller or staff member can be sent or shown is scanned (the
sources are ``tests/wording_sources.py``'s, shared with the Traditional Chinese check).

Two rules, each mechanical:

- every kanji is in level 1 of JIS X 0208 (the 2,965 kanji of everyday Japanese, which
  every Japanese encoding has): simplified forms (订, 单, 们, 这个's 个) are in no Japanese
  character set, and the traditional forms Japanese replaced (處, 會, 對, 應, 單, 們) are in
  level 2 at most. A kanji outside level 1 that a text rightly needs goes in ``ALLOWED``;
- no Chinese word written with kanji Japanese also has (``CHINESE_WORDS``, each with the
  Japanese to use): 航班 (便), 酒店 (ホテル), 客服 (担当者, サポート), 預訂 (予約), 查詢, 回覆
  (返信), 這 (Chinese "this"; Japanese writes この).
"""

from __future__ import annotations

import re

import pytest

from tests.wording_sources import SOURCES, texts

LANGUAGE = "ja"
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LEVEL_1 = range(0x889F, 0x9873)
"""JIS X 0208 level 1 kanji, as Shift_JIS (cp932) codes."""
ALLOWED: frozenset[str] = frozenset()
CHINESE_WORDS = {
    "航班": "便",
    "酒店": "ホテル",
    "客服": "担当者、サポート",
    "預訂": "予約",
    "查詢": "照会、確認",
    "回覆": "返信",
    "這": "この",
}


TEXTS = list(texts(LANGUAGE))


def _outside_level_1(text: str) -> set[str]:
    """The kanji of ``text`` not in JIS X 0208 level 1 (nor ``ALLOWED``)."""
    found = set()
    for kanji in set(KANJI.findall(text)) - ALLOWED:
        try:
            code = int.from_bytes(kanji.encode("cp932"), "big")
        except UnicodeEncodeError:
            code = 0
        if code not in LEVEL_1:
            found.add(kanji)
    return found


def test_the_scan_covers_every_source() -> None:
    """A source renamed or emptied must not make the scan pass on nothing."""
    sources = {where.split(" ")[0] for where, _ in TEXTS}
    assert sources >= SOURCES
    assert len([w for w, _ in TEXTS if w.startswith("notify template")]) >= 18


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ご注文の订单をご確認ください", {"订", "单"}),
        ("處理いたします", {"處"}),
        ("予約を処理", set()),
    ],
)
def test_the_rule_tells_chinese_forms_from_japanese(text: str, found: set[str]) -> None:
    assert _outside_level_1(text) == found


@pytest.mark.parametrize(("where", "text"), TEXTS, ids=[w for w, _ in TEXTS])
def test_no_ja_text_mixes_in_chinese(where: str, text: str) -> None:
    assert not _outside_level_1(text), f"{where}: kanji Japanese does not write"
    words = {word: use for word, use in CHINESE_WORDS.items() if word in text}
    assert not words, f"{where}: Chinese words, use instead: {words}"
