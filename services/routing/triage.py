"""First-stage triage of a contact's text: language, category, urgency, sentiment.

Pure and importable: no I/O beyond loading the versioned artifact once. The model is
TF-IDF over character 1–4-grams (no word segmentation needed for Chinese or Japanese)
with one multinomial logistic-regression head per field, trained by
``services/routing/train.py`` on ``data/routing/corpus.jsonl``; prediction is one
sparse matrix product, so a single text takes about a millisecond.

Language comes from ``lingua`` restricted to English/Chinese/Japanese (a wider Latin
detector and script checks turn other languages into ``other``); Simplified and
Traditional Chinese are told apart with the official ``opencc`` package: converting
Traditional to Simplified changes a Traditional text and leaves a Simplified one alone.

Urgency is the model's answer corrected by explicit cues (see ``apply_urgency_signals``):
an explicit "not urgent" makes it low, "urgent"/"today" at least high, and "I fly in
two hours"/"stranded" critical when the category is one where that is a travel
emergency. Precision of each signal on the training split is in ``docs/routing-eval.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

import joblib
import numpy as np
import opencc
from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from contracts.taxonomy import Category

MODEL_VERSION = "triage-v1"
MODEL_DIR = Path(__file__).resolve().parent / "model"
DEFAULT_ARTIFACT = MODEL_DIR / f"{MODEL_VERSION}.joblib"

Lang = Literal["zh-Hans", "zh-Hant", "en", "ja", "other"]
Urgency = Literal["critical", "high", "normal", "low"]
Sentiment = Literal["negative", "neutral", "positive"]
FIELDS = ("category", "urgency", "sentiment")
URGENCIES: tuple[str, ...] = get_args(Urgency)
SENTIMENTS: tuple[str, ...] = get_args(Sentiment)

# Categories where "my flight leaves in two hours" makes the case a travel emergency.
TRAVEL_NOW = frozenset(
    {
        "booking_failure",
        "change_rebook",
        "flight_disruption",
        "hotel_issue",
        "ground_transport",
        "baggage",
        "approval",
    }
)


class CategoryScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: Category
    probability: float = Field(ge=0.0, le=1.0)


class Triage(BaseModel):
    """What routing needs to pick a queue and a priority, with the model's confidence."""

    model_config = ConfigDict(frozen=True)

    lang: Lang
    lang_confidence: float = Field(ge=0.0, le=1.0)
    category: Category
    category_confidence: float = Field(ge=0.0, le=1.0)
    urgency: Urgency
    urgency_confidence: float = Field(ge=0.0, le=1.0)
    sentiment: Sentiment
    sentiment_confidence: float = Field(ge=0.0, le=1.0)
    top_categories: list[CategoryScore]
    urgency_signal: Literal["critical", "high", "low"] | None = None
    """The explicit urgency cue that overrode the model, if any (for audit)."""
    model_version: str = MODEL_VERSION


# ---------------------------------------------------------------- text normalisation

_T2S = opencc.OpenCC("t2s.json")
_S2T = opencc.OpenCC("s2t.json")
_DIGITS = re.compile(r"\d+")
# Cantonese characters that a Simplified writer does not use but t2s leaves unchanged.
_CANTONESE = re.compile(r"[唔咗嘅喺冇啲嗰咁噉囉嘢哋佢乜㗎喎]")


def normalise(text: str) -> str:
    """The model's view of a text: NFKC, Simplified script, lower case, digits as ``0``.

    Folding Traditional into Simplified lets both scripts share what was learnt;
    folding digit runs keeps order and flight numbers from being memorised.
    """
    folded = _T2S.convert(unicodedata.normalize("NFKC", text)).lower()
    return _DIGITS.sub("0", folded)


# ---------------------------------------------------------------- language

_OTHER_SCRIPTS = re.compile(
    r"[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u1100-\u11ff\uac00-\ud7af]"
)
_LETTERS = re.compile(r"[^\W\d_]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_OTHER_LATIN = (
    Language.FRENCH,
    Language.GERMAN,
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.DUTCH,
    Language.INDONESIAN,
    Language.VIETNAMESE,
    Language.TURKISH,
    Language.TAGALOG,
)


@cache
def _detectors() -> tuple[LanguageDetector, LanguageDetector]:
    main = LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.CHINESE, Language.JAPANESE
    ).build()
    latin = LanguageDetectorBuilder.from_languages(Language.ENGLISH, *_OTHER_LATIN).build()
    return main, latin


def chinese_script(text: str) -> tuple[Lang, float]:
    """zh-Hant if converting to Simplified changes more characters than the reverse."""
    to_simplified = _changed(text, _T2S.convert(text))
    to_traditional = _changed(text, _S2T.convert(text))
    if to_simplified == to_traditional:
        if _CANTONESE.search(text):
            return "zh-Hant", 0.75
        return "zh-Hans", 0.5
    lang: Lang = "zh-Hant" if to_simplified > to_traditional else "zh-Hans"
    return lang, (max(to_simplified, to_traditional) + 1) / (to_simplified + to_traditional + 2)


def _changed(before: str, after: str) -> int:
    if len(before) != len(after):
        return abs(len(before) - len(after)) + 1
    return sum(a != b for a, b in zip(before, after, strict=True))


def detect_language(text: str) -> tuple[Lang, float]:
    """One of zh-Hans, zh-Hant, en, ja, or ``other``, with a confidence in [0, 1]."""
    letters = _LETTERS.findall(text)
    if not letters:
        return "other", 0.0
    foreign = len(_OTHER_SCRIPTS.findall(text))
    if foreign * 2 >= len(letters):
        return "other", foreign / len(letters)
    main, latin = _detectors()
    values = main.compute_language_confidence_values(text)
    if not values or values[0].value <= 0.0:
        return "other", 0.0
    best = values[0]
    confidence = float(best.value)
    if best.language == Language.JAPANESE:
        return "ja", confidence
    if best.language == Language.CHINESE:
        lang, script_confidence = chinese_script(text)
        return lang, confidence * script_confidence
    if len(text.split()) >= 3 and not _HAN.search(text):
        wide = {v.language: v.value for v in latin.compute_language_confidence_values(text)}
        top = max(wide, key=wide.__getitem__)
        if top != Language.ENGLISH and wide[top] >= 0.5 and wide[Language.ENGLISH] <= 0.2:
            return "other", float(wide[top])
    return "en", confidence


# ---------------------------------------------------------------- urgency signals

_NUM = r"(?:\d+|an?|one|two|three|four|five|few|couple of)"
_CRITICAL = re.compile(
    "|".join(
        [
            rf"\b(?:in|within|under|less than) {_NUM} ?(?:hours?|hrs?|minutes?|mins?)\b",
            r"\bstranded\b",
            r"\bstuck (?:at|in|on|here)\b",
            r"\b(?:right now|as we speak)\b",
            r"\bat the (?:airport|gate|counter|terminal|station|front desk)\b",
            r"\bboarding (?:now|starts|closes|in)\b",
            r"\bemergency\b",
            r"\bnowhere to (?:stay|sleep|go)\b",
            r"\b(?:not|don't feel) safe\b",
            r"\bimmediately\b",
            r"\d+ ?[个個]?(?:小时|钟)(?:后|内)",
            r"\d+ ?分钟后",
            r"滞留|困在|被困|走不了|去不了|回不去",
            r"(?:现在|而家|人)就?(?:在|喺)(?:机场|柜台|柜位|登机口|航站楼|航厦|车站)",
            r"没地方(?:住|去)|冇地方|无处可去",
            r"紧急|急需|救命",
            r"马上就?要?登机|登机了",
            r"\d+ ?時間(?:後|以内)",
            r"あと\d+分",
            r"足止め|立ち往生|取り残|動けません|進めません",
            r"今.{0,6}(?:空港|カウンター|ゲート|駅)",
            r"緊急|すぐに助け|今すぐ",
            r"泊まる(?:ところ|場所)が(?:ありません|ない)",
            r"搭乗(?:が始まって|開始|です)",
        ]
    )
)
_LOW = re.compile(
    "|".join(
        [
            r"\bnot urgent\b",
            r"\bno (?:rush|hurry|urgency)\b",
            r"\bwhenever\b",
            r"\bnot time[- ]critical\b",
            r"\bwhen you (?:get a chance|can|have time)\b",
            r"\bno deadline\b",
            r"\btake your time\b",
            r"\bat your convenience\b",
            r"\bfor future reference\b",
            r"\bcan wait\b",
            r"\blow priority\b",
            r"不急|不着急|不用急|唔急|不赶|慢慢|有空|得闲|方便的时候|没有截止|没有期限|以后参考|之后参考",
            r"急ぎ(?:ません|ではありません)|急ぎじゃない|ゆっくり|お手すき|時間のある|手が空いた",
            r"ご都合のよい|期限はありません|参考までに|締め切りのある話では",
        ]
    )
)
_HIGH = re.compile(
    "|".join(
        [
            r"\burgent\b",
            r"\basap\b",
            r"\bas soon as possible\b",
            r"\b(?:today|tonight|tomorrow)\b",
            r"\bby end of day\b",
            r"\bprioriti[sz]e\b",
            r"\bexpedite\b",
            r"\bdeadline\b",
            r"急|尽快|今天|今晚|明天|明早|今日|听日|优先|截止",
            r"至急|本日|明日|優先|締め切り|今夜|早めに|できるだけ早く",
        ]
    )
)

UrgencySignal = Literal["critical", "high", "low"]


def urgency_signals(normalised: str) -> frozenset[UrgencySignal]:
    """The explicit urgency cues in a normalised text (see ``normalise``)."""
    found: set[UrgencySignal] = set()
    if _CRITICAL.search(normalised):
        found.add("critical")
    if _LOW.search(normalised):
        found.add("low")
    elif _HIGH.search(normalised):  # "not urgent" also contains "urgent"
        found.add("high")
    return frozenset(found)


def apply_urgency_signals(
    model_urgency: str, category: str, signals: frozenset[UrgencySignal]
) -> tuple[str, UrgencySignal | None]:
    """Combine the model's urgency with explicit cues; returns the cue that decided, if any.

    "Stranded"/"in two hours" makes a travel case critical; otherwise an explicit
    "not urgent" lowers anything short of critical, and "urgent"/"today" raises
    normal or low to high.
    """
    if "critical" in signals and category in TRAVEL_NOW:
        return "critical", None if model_urgency == "critical" else "critical"
    if model_urgency == "critical":
        return model_urgency, None
    if "low" in signals and model_urgency != "low":
        return "low", "low"
    if "high" in signals and model_urgency in ("normal", "low"):
        return "high", "high"
    return model_urgency, None


# ---------------------------------------------------------------- the model

# How sure an explicit cue is; the cues' measured precision on the training split is
# 0.84 (high) to 0.99 (low), so they are reported as this confident, not as certain.
_SIGNAL_CONFIDENCE = 0.85


@dataclass(frozen=True)
class Head:
    """One softmax head: the classes and their columns in the stacked weight matrix."""

    classes: tuple[str, ...]
    start: int
    stop: int


class TriageModel:
    """Loads the artifact once; classifies one text or a batch."""

    def __init__(self, artifact: dict[str, Any]) -> None:
        if artifact.get("version") != MODEL_VERSION:
            raise ValueError(f"artifact is {artifact.get('version')!r}, expected {MODEL_VERSION}")
        self.version: str = artifact["version"]
        self.vectorizer = artifact["vectorizer"]
        blocks: list[NDArray[np.float32]] = []
        biases: list[NDArray[np.float32]] = []
        self.heads: dict[str, Head] = {}
        start = 0
        for field in FIELDS:
            head = artifact["heads"][field]
            coef = np.asarray(head["coef"], dtype=np.float32)
            blocks.append(coef.T)
            biases.append(np.asarray(head["intercept"], dtype=np.float32))
            self.heads[field] = Head(tuple(head["classes"]), start, start + coef.shape[0])
            start += coef.shape[0]
        self.weights: NDArray[np.float32] = np.ascontiguousarray(np.hstack(blocks))
        self.bias: NDArray[np.float32] = np.concatenate(biases)
        self.metadata: dict[str, Any] = dict(artifact.get("metadata", {}))

    @classmethod
    def load(cls, path: Path | str = DEFAULT_ARTIFACT) -> TriageModel:
        return cls(cast(dict[str, Any], joblib.load(path)))

    def probabilities(self, normalised: Sequence[str]) -> dict[str, NDArray[np.float64]]:
        """Per field, a (texts × classes) matrix of probabilities of normalised texts."""
        features = self.vectorizer.transform(normalised)
        scores = np.asarray(features @ self.weights, dtype=np.float64) + self.bias
        out: dict[str, NDArray[np.float64]] = {}
        for field, head in self.heads.items():
            block = scores[:, head.start : head.stop]
            block = np.exp(block - block.max(axis=1, keepdims=True))
            out[field] = block / block.sum(axis=1, keepdims=True)
        return out

    def classify(self, text: str) -> Triage:
        return self.classify_batch([text])[0]

    def classify_batch(self, texts: Sequence[str]) -> list[Triage]:
        if not texts:
            return []
        normalised = [normalise(t) for t in texts]
        probs = self.probabilities(normalised)
        return [
            self._triage(text, norm, {f: p[i] for f, p in probs.items()})
            for i, (text, norm) in enumerate(zip(texts, normalised, strict=True))
        ]

    def _triage(self, text: str, normalised: str, probs: dict[str, NDArray[np.float64]]) -> Triage:
        lang, lang_confidence = detect_language(text)
        best = {f: int(np.argmax(p)) for f, p in probs.items()}
        label = {f: self.heads[f].classes[best[f]] for f in probs}
        confidence = {f: float(probs[f][best[f]]) for f in probs}

        signals = urgency_signals(normalised)
        urgency, decided = apply_urgency_signals(label["urgency"], label["category"], signals)
        urgency_confidence = float(probs["urgency"][self.heads["urgency"].classes.index(urgency)])
        if decided:
            urgency_confidence = max(urgency_confidence, _SIGNAL_CONFIDENCE)

        order = np.argsort(-probs["category"])[:3]
        top = [
            CategoryScore(
                category=cast(Category, self.heads["category"].classes[k]),
                probability=_unit(float(probs["category"][k])),
            )
            for k in order
        ]
        return Triage(
            lang=lang,
            lang_confidence=_unit(lang_confidence),
            category=cast(Category, label["category"]),
            category_confidence=_unit(confidence["category"]),
            urgency=cast(Urgency, urgency),
            urgency_confidence=_unit(urgency_confidence),
            sentiment=cast(Sentiment, label["sentiment"]),
            sentiment_confidence=_unit(confidence["sentiment"]),
            top_categories=top,
            urgency_signal=decided,
            model_version=self.version,
        )


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


@cache
def default_model() -> TriageModel:
    """The committed artifact, loaded once per process."""
    return TriageModel.load(DEFAULT_ARTIFACT)
