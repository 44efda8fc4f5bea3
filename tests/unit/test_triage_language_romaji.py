"""Japanese written in Latin letters ("Hikouki ga kekkou ni narimashita", "onegaishimasu")
read as English, or as ``other``: no kana, no kanji, so lingua weighed unknown words. A
Japanese traveller on a keyboard without Japanese input went to an English desk. Text whose
words are Japanese syllables and which says a high-signal romaji word (desu, a -masu form,
kudasai, onegaishimasu, sumimasen, the particle wo …) is ``ja``, at intake and in triage
alike (``contracts.languages.romaji``). English that names Osaka or sushi, or a name that
sounds Japanese, stays ``en``.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.intake.channels.language import confident_languages, guess_language
from services.routing.triage.language import detect_language
from tests.triage_pools import pooled

ROMAJI = [
    "Hikouki ga kekkou ni narimashita",
    "hoteru no yoyaku wo henkou shitai desu",
    "onegaishimasu",
    "Sumimasen, yoyaku ga mitsukarimasen",
    "ryoushuusho wo hakkou shite kudasai",
    "Shinkansen ga okurete imasu, dou sureba ii desu ka",
    "Kaisha no shucchou desu. Hikouki no kippu wo kaitai desu",
    "Nimotsu ga todokimasen",
]
ENGLISH = [
    "I'm in Osaka and my hotel booking is missing",
    "Can you book a sushi dinner in Tokyo tonight?",
    "Flight to Osaka cancelled, please rebook",
    "Thanks, arigato!",
    "Hi, I am Desu from Jakarta",
    "Please cancel the Kudasai Sushi reservation",
    "Go to the gate, no more time",
    "Is a ryokan allowed under the hotel cap?",
]


@pytest.mark.parametrize("text", ROMAJI)
def test_romanised_japanese_is_japanese(text: str) -> None:
    assert detect_language(text)[0] == "ja"


@pytest.mark.parametrize("text", ROMAJI)
def test_intake_guesses_it_alike(text: str) -> None:
    assert guess_language(text) == "ja"


@pytest.mark.parametrize("text", ENGLISH)
def test_english_naming_japan_stays_english(text: str) -> None:
    assert detect_language(text)[0] == "en"
    assert guess_language(text) == "en"


def test_a_long_romaji_follow_up_is_surely_japanese() -> None:
    assert confident_languages(ROMAJI[-2]) == ("ja",)
    assert confident_languages(ENGLISH[0]) == ("en",)


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(ROMAJI + ENGLISH)
