"""Triage of a contact's text: language, category, urgency and sentiment, each with a
calibrated probability.

Pure and importable: no I/O beyond loading the versioned artifact once. The first
stage is TF-IDF over character 1–4-grams of the normalised text (no word
segmentation needed for Chinese or Japanese) plus the urgency rubric's situations
(``triage_rubric``: blocked on the road, a disruption within hours, safety, money
taken without service, a repeat contact…), with one linear head per field, trained
by ``services/routing/train.py``; a text costs well under a millisecond.

Each head's scores become probabilities through a softmax whose temperature was
fitted on real held-out text (the calibration pool, never trained on), so a
confidence of 0.9 means about nine in ten right on real messages. Language comes
from ``triage_lang`` (scripts, opencc, lingua) and its confidence through a
logistic map fitted on the same pool.

The rubric's rules sit on top (``rules.py``, docs/routing.md):

* a message that describes being blocked on the road now or within hours, a
  departure within a day cancelled or badly delayed, or a safety or health emergency
  is ``critical`` (with the rule's precision on the calibration pool as confidence,
  unless the model is surer); a critical reading of the head's alone needs its
  calibrated ``critical_confidence``, else it is ``high``; one the model finds at
  least ``critical_floor`` likely critical is never scored below ``high``;
* a closing (thanks, farewells, "no more questions", nothing asked) is ``other``,
  ``low``, ``neutral``; a negated problem is no complaint, thanks are not negative;
* thanks with praise ("warm thanks") are ``positive`` and no ``service_complaint``,
  unless the message complains, repeats itself or reports being blocked or charged;
* a message with no words (empty, digits, punctuation, a bare link) is ``other``,
  ``low``, ``neutral`` at the low ``junk_confidence``, so it goes to a human look.

A **second stage** (``second_stage``) reads the texts whose category the first stage is
unsure of: the caller's E5 embedding of the text (``Embed``) through a logistic
regression per field (category; sentiment when the artifact has its head), averaged
with the first stage and recalibrated. It runs only between the
first stage and the rules: junk never reaches it, and the urgency rules apply to its
answer as to the first stage's. ``first_read`` / ``needs_embedding`` / ``decide`` let an
async caller compute the embedding off the event loop; ``classify`` does it all in one
call. Without a second stage in the artifact, or without an embedder, the answer is the
first stage's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

import joblib
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from contracts.taxonomy import Category
from services.routing.triage import rubric as triage_rubric
from services.routing.triage.calibration import softmax
from services.routing.triage.junk import is_junk
from services.routing.triage.language import Lang, detect_language, warm_up
from services.routing.triage.ngrams import NgramScorer
from services.routing.triage.rules import Rules, rule_out
from services.routing.triage.second_stage import Embed, SecondStage
from services.routing.triage.text import message_of, normalise

__all__ = [
    "Embed",
    "FirstRead",
    "Lang",
    "Triage",
    "TriageModel",
    "default_model",
    "detect_language",
    "normalise",
]

MODEL_VERSION = "triage-v2"
MODEL_DIR = Path(__file__).resolve().parents[1] / "model"
DEFAULT_ARTIFACT = MODEL_DIR / f"{MODEL_VERSION}.joblib"

Urgency = Literal["critical", "high", "normal", "low"]
Sentiment = Literal["negative", "neutral", "positive"]
FIELDS = ("category", "urgency", "sentiment")
URGENCIES: tuple[str, ...] = get_args(Urgency)
SENTIMENTS: tuple[str, ...] = get_args(Sentiment)
JUNK = {"category": "other", "urgency": "low", "sentiment": "neutral"}
"""Situations that make a message a complaint or a problem whatever else it says."""


class CategoryScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: Category
    probability: float = Field(ge=0.0, le=1.0)


class Triage(BaseModel):
    """What routing needs to pick a queue and a priority, with calibrated confidences."""

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
    situations: tuple[str, ...] = ()
    """The rubric situations read in the text (``triage_rubric.FEATURES``), for audit."""
    floored: bool = False
    """The urgency was raised by the rubric's rules for critical situations."""
    second_stage: bool = False
    """The e5 second stage read the text too (the first stage was unsure of its category):
    category and sentiment are both stages' average."""
    model_version: str = MODEL_VERSION


@dataclass(frozen=True)
class FirstRead:
    """The first stage's reading of one text, before any second stage and the rules."""

    text: str
    """What was read: the message without its signature (``text.message_of``)."""
    situations: frozenset[str]
    probabilities: dict[str, NDArray[np.float64]]
    worded: bool
    """The text carries language (else the junk rule answers: ``junk.py``)."""

    @property
    def category_confidence(self) -> float:
        return float(np.max(self.probabilities["category"]))


@dataclass(frozen=True)
class Head:
    """One softmax head: its classes, weights and fitted temperature."""

    classes: tuple[str, ...]
    weights: NDArray[np.float32]
    bias: NDArray[np.float32]
    temperature: float

    def probabilities(self, features: Any) -> NDArray[np.float64]:
        scores = np.asarray(features @ self.weights, dtype=np.float64) + self.bias
        return softmax(scores * self.temperature)


def model_input(
    vectorizer: Any, rubric_scale: float, normalised: Sequence[str]
) -> tuple[Any, list[frozenset[str]]]:
    """The model's input for many texts: n-gram weights and rubric situations, side by side
    (a sparse matrix; training and calibration use it, single texts take ``NgramScorer``)."""
    found = [triage_rubric.situations(text) for text in normalised]
    rubric = sparse.csr_matrix(triage_rubric.matrix(found) * rubric_scale)
    return sparse.hstack([vectorizer.transform(normalised), rubric], format="csr"), found


class TriageModel:
    """Loads the artifact once; classifies one text or a batch."""

    def __init__(self, artifact: dict[str, Any]) -> None:
        if artifact.get("version") != MODEL_VERSION:
            raise ValueError(f"artifact is {artifact.get('version')!r}, expected {MODEL_VERSION}")
        self.version: str = artifact["version"]
        self.vectorizer = artifact["vectorizer"]
        self.rubric_scale = float(artifact["rubric_scale"])
        self.heads = {
            name: Head(
                tuple(head["classes"]),
                np.ascontiguousarray(np.asarray(head["coef"], dtype=np.float32).T),
                np.asarray(head["intercept"], dtype=np.float32),
                float(head.get("temperature", 1.0)),
            )
            for name, head in artifact["heads"].items()
        }
        self.slices: dict[str, slice] = {}
        start = 0
        for name, head in self.heads.items():
            self.slices[name] = slice(start, start + len(head.classes))
            start += len(head.classes)
        self.scorer = NgramScorer(
            self.vectorizer,
            np.ascontiguousarray(np.hstack([h.weights for h in self.heads.values()])),
            np.concatenate([h.bias for h in self.heads.values()]),
            triage_rubric.FEATURES,
            self.rubric_scale,
        )
        self.rubric_features = frozenset(triage_rubric.FEATURES)
        self.rules = Rules.from_artifact(artifact.get("rules", {}))
        """The rubric's rules and their calibrated numbers (``rules.py``)."""
        language = artifact.get("language", {})
        self.language_map = (float(language.get("a", 1.0)), float(language.get("b", 0.0)))
        self.metadata: dict[str, Any] = dict(artifact.get("metadata", {}))
        entry = artifact.get("second_stage") or {}
        self.second_stage = SecondStage.from_artifact(entry, self.heads["category"].classes)
        self.second_fields: dict[str, SecondStage] = {}
        """Other fields' e5 heads (sentiment), averaged in for the same texts: when the
        category's second stage reads a text, never on their own (no other embedding)."""
        for name, head in entry.get("fields", {}).items() if self.second_stage else ():
            stage = SecondStage.from_artifact(head | {"below": 1.0}, self.heads[name].classes)
            if stage is not None:
                self.second_fields[name] = stage

    @classmethod
    def load(cls, path: Path | str = DEFAULT_ARTIFACT) -> TriageModel:
        return cls(cast(dict[str, Any], joblib.load(path)))

    def features(self, normalised: Sequence[str]) -> tuple[Any, list[frozenset[str]]]:
        return model_input(self.vectorizer, self.rubric_scale, normalised)

    def probabilities(self, normalised: Sequence[str]) -> dict[str, NDArray[np.float64]]:
        """Per field, a (texts × classes) matrix of calibrated probabilities."""
        features, _ = self.features(normalised)
        return {name: head.probabilities(features) for name, head in self.heads.items()}

    def classify(self, text: str, embed: Embed | None = None) -> Triage:
        """One text's triage; ``embed`` (text → E5 query embedding) enables the second stage."""
        read = self.first_read(text)
        if embed is None or not self.needs_embedding(read):
            return self.decide(read)
        return self.decide(read, embed(read.text))

    def classify_batch(self, texts: Sequence[str], embed: Embed | None = None) -> list[Triage]:
        """``classify`` of each text (the single-text path is the fast one)."""
        return [self.classify(text, embed) for text in texts]

    def first_read(self, text: str) -> FirstRead:
        """The first stage's reading of the message without its signature (``message_of``)."""
        text = message_of(text)
        normalised = normalise(text)
        found = triage_rubric.situations(normalised)
        features = found & self.rubric_features
        worded = not is_junk(text, normalised, self.vectorizer.vocabulary_, features)
        return FirstRead(text, found, self.scored(normalised, found), worded)

    def needs_embedding(self, read: FirstRead) -> bool:
        """Whether the second stage would read this text: the model has one, the text has
        words (junk is the junk rule's) and the first stage is unsure of its category."""
        return (
            self.second_stage is not None
            and read.worded
            and self.second_stage.wants(read.category_confidence)
        )

    def junk(self, text: str) -> bool:
        """No language in it: no letters, or keyboard mash (``junk.py``)."""
        return is_junk(text, normalise(text), self.vectorizer.vocabulary_)

    def decide(self, read: FirstRead, embedding: NDArray[np.float32] | None = None) -> Triage:
        """The answer: the second stage's category when it was asked and given an
        embedding of its size, then the junk rule and the urgency rules."""
        probs, used, second = read.probabilities, False, self.second_stage
        if (
            second is not None
            and embedding is not None
            and np.size(embedding) == second.dimensions
            and self.needs_embedding(read)
        ):
            probs = {**probs, "category": second.combine(probs["category"], embedding)}
            for name, stage in self.second_fields.items():
                probs[name] = stage.combine(probs[name], embedding)
            used = True
        return self._triage(read, probs, second_stage=used)

    def scored(self, normalised: str, situations: frozenset[str]) -> dict[str, NDArray[np.float64]]:
        """Per field, the calibrated probabilities of one text (the fast single-text path)."""
        scores = self.scorer.scores(normalised, situations)
        return {
            name: softmax(scores[self.slices[name]] * head.temperature)
            for name, head in self.heads.items()
        }

    def language(self, text: str) -> tuple[Lang, float]:
        """The detected language with its calibrated confidence."""
        lang, raw = detect_language(text)
        if lang == "other" and raw == 0.0:
            return lang, 0.0
        a, b = self.language_map
        return lang, 1.0 / (1.0 + math.exp(-(a * raw + b)))

    def _triage(
        self,
        read: FirstRead,
        probs: dict[str, NDArray[np.float64]],
        *,
        second_stage: bool = False,
    ) -> Triage:
        text, situations = read.text, read.situations
        lang, lang_confidence = self.language(text)
        label = {f: self.heads[f].classes[int(np.argmax(p))] for f, p in probs.items()}
        confidence = {f: float(np.max(p)) for f, p in probs.items()}
        floored = False
        classes = self.heads["category"].classes
        top = [
            CategoryScore(category=cast(Category, classes[k]), probability=_unit(float(p)))
            for k in np.argsort(-probs["category"])[:3]
            for p in (probs["category"][k],)
        ]
        if not read.worded:
            label, confidence = dict(JUNK), dict.fromkeys(FIELDS, self.rules.junk_confidence)
            top = [CategoryScore(category="other", probability=self.rules.junk_confidence)]
            lang, lang_confidence = "other", 0.0
        elif "closing" in situations:
            label, confidence = self.rules.closing(self._named(probs))
            top = [CategoryScore(category="other", probability=_unit(confidence["category"]))]
        else:
            named = self._named(probs)
            self.rules.entry_document(label, confidence, named, situations)
            self.rules.warm_thanks(label, confidence, named, situations)
            rule_out(label, confidence, named, situations)
            self.rules.open_problem(label, confidence, named, situations)
            label["urgency"], confidence["urgency"], floored = self.rules.urgency(
                label, confidence["urgency"], named["urgency"], situations
            )
        return Triage(
            lang=lang,
            lang_confidence=_unit(lang_confidence),
            category=cast(Category, label["category"]),
            category_confidence=_unit(confidence["category"]),
            urgency=cast(Urgency, label["urgency"]),
            urgency_confidence=_unit(confidence["urgency"]),
            sentiment=cast(Sentiment, label["sentiment"]),
            sentiment_confidence=_unit(confidence["sentiment"]),
            top_categories=top,
            situations=tuple(sorted(situations)),
            floored=floored,
            second_stage=second_stage,
            model_version=self.version,
        )

    def _named(self, probs: dict[str, NDArray[np.float64]]) -> dict[str, dict[str, float]]:
        return {
            f: dict(zip(self.heads[f].classes, map(float, p), strict=True))
            for f, p in probs.items()
        }


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


@cache
def default_model() -> TriageModel:
    """The committed artifact, loaded once per process (lingua's models too)."""
    model = TriageModel.load(DEFAULT_ARTIFACT)
    warm_up()
    return model
