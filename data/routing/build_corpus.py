"""Build the routing triage corpus: ``data/routing/corpus.jsonl``.

Two parts:

* synthetic TripCare contacts composed from the hand-written templates in
  ``templates/<lang>.txt`` (core sentences with inline paraphrase choices and slots,
  urgency and sentiment modifiers, openers and closers, chat/e-mail/IVR frames and
  noise such as typos, dropped punctuation and full-width digits);
* English public data mapped into the taxonomy (CLINC150, CC BY 3.0; Bitext customer
  support sample, CDLA-Sharing 1.0), read from ``../shared/data`` when present.

The held-out split is made before composition: per category and language a fixed
share of the core templates, and per language a share of every urgency/sentiment
modifier list, is reserved for ``test``; test examples are composed only from those,
so the score measures phrasing never seen in training. Public data keeps CLINC150's
own test split and a seeded 20 % of Bitext per intent. Everything is seeded, so the
output is byte-identical between runs.

Run: ``python data/routing/build_corpus.py [--shared PATH] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import string
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from contracts.taxonomy import CATEGORIES
from services.routing.triage.category_urgency import TEMPLATE_URGENCY, TRAVELLING_NOW

HERE = Path(__file__).resolve().parent
LANGS = ("en", "zh-Hans", "zh-Hant", "ja")
URGENCY = {"C": "critical", "H": "high", "N": "normal", "L": "low"}
URGENCY_RANK = {"low": 0, "normal": 1, "high": 2, "critical": 3}
SENTIMENT = {"-": "negative", "0": "neutral", "+": "positive"}
MODIFIERS = ("@crit", "@high", "@low", "@neg", "@pos")

SEED = 20241125
TEST_SHARE = 0.22
TRAIN_PER_CELL = 300
TEST_PER_CELL = 55
PUBLIC_PER_CATEGORY = 130
PUBLIC_TEST_SHARE = 0.2


@dataclass(frozen=True)
class Core:
    """One core template with its base labels."""

    text: str
    urgency: str
    sentiment: str
    ident: str


@dataclass
class Example:
    text: str
    lang: str
    category: str
    urgency: str
    sentiment: str
    source: str
    split: str

    def row(self) -> dict[str, str]:
        return {
            "text": self.text,
            "lang": self.lang,
            "category": self.category,
            "urgency": self.urgency,
            "sentiment": self.sentiment,
            "source": self.source,
            "split": self.split,
        }


def stable_seed(*parts: str) -> int:
    """A seed that does not depend on PYTHONHASHSEED."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return SEED ^ int(digest[:12], 16)


def parse_templates(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif line and not line.startswith("#") and current is not None:
            current.append(line)
    return sections


# ---------------------------------------------------------------- slots


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


AIRLINES = {
    "en": ["CA", "MU", "CZ", "NH", "JL", "CX", "BR", "CI", "SQ", "UA", "BA", "LH", "DL", "AA"],
    "zh-Hans": ["CA", "MU", "CZ", "HU", "MF", "ZH", "3U", "FM", "HO", "SC", "9C", "NH"],
    "zh-Hant": ["BR", "CI", "CX", "UO", "HX", "IT", "JX", "AE", "B7", "JL", "NH", "KE"],
    "ja": ["NH", "JL", "BC", "MM", "GK", "7G", "6J", "HD", "NU", "CA", "BR", "UA"],
}


def flight(rng: random.Random, lang: str) -> str:
    code = rng.choice(AIRLINES[lang])
    number = str(rng.randint(1, 9899)) if rng.random() < 0.8 else str(rng.randint(1, 99))
    return code + (" " if rng.random() < 0.12 else "") + number


def pnr(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(6))


def order(rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return "TC" + _digits(rng, 10)
    if style == 1:
        return _digits(rng, 16)
    if style == 2:
        return f"ORD-{rng.randint(2023, 2025)}-{_digits(rng, 6)}"
    return "#" + _digits(rng, 8)


def hotel_conf(rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return _digits(rng, 9)
    if style == 1:
        return "HC" + _digits(rng, 8)
    return f"{_digits(rng, 4)}-{_digits(rng, 4)}"


def amount(rng: random.Random, lang: str) -> str:
    value = rng.choice([rng.randint(80, 999), rng.randint(1000, 9999), rng.randint(10, 60) * 100])
    if lang == "en":
        fmt = rng.choice(["${:,}", "USD {:,}", "¥{:,}", "EUR {:,}", "{:,} CNY", "{:,} HKD", "{:,}"])
        return fmt.format(value)
    if lang == "ja":
        return f"{value * 10:,}" if rng.random() < 0.6 else str(value * 10)
    return f"{value:,}" if rng.random() < 0.3 else str(value)


def tax_id(rng: random.Random, lang: str) -> str:
    if lang == "ja":
        return "T" + _digits(rng, 13)
    if lang == "zh-Hant":
        return _digits(rng, 8)
    alphabet = string.digits + "ABCDEFGHJKLMNPQRTUWXY"
    uscc = "91" + _digits(rng, 6) + "".join(rng.choice(alphabet) for _ in range(10))
    return uscc if lang == "zh-Hans" or rng.random() < 0.4 else "GB" + _digits(rng, 9)


def train_no(rng: random.Random, lang: str) -> str:
    if lang == "ja":
        kind = rng.choice(["のぞみ", "ひかり", "こだま", "はやぶさ", "かがやき", "みずほ"])
        return f"{kind}{rng.randint(1, 299)}号"
    if lang == "zh-Hant":
        return rng.choice([f"高鐵{rng.randint(100, 899)}車次", f"{rng.randint(100, 899)}車次"])
    if lang == "zh-Hans":
        return (
            rng.choice(["G", "D", "C", "K", "Z"])
            + str(rng.randint(1, 9999))
            + "次" * (rng.random() < 0.4)
        )
    return rng.choice(
        [
            f"train G{rng.randint(1, 9999)}",
            f"the Eurostar {rng.randint(9000, 9199)}",
            f"ICE {rng.randint(100, 999)}",
            f"Shinkansen Nozomi {rng.randint(1, 250)}",
            f"THSR {rng.randint(100, 899)}",
        ]
    )


def email(rng: random.Random) -> str:
    user = rng.choice(
        ["j.smith", "emily.chen", "wang.wei", "tanaka", "li.na", "amy.wong", "k.sato"]
    )
    host = rng.choice(["acme.com", "globex.co.jp", "initech.cn", "contoso.com.tw", "example.hk"])
    return f"{user}{rng.randint(1, 99) if rng.random() < 0.3 else ''}@{host}"


def slot_value(name: str, rng: random.Random, lang: str, lists: dict[str, list[str]]) -> str:
    generated: dict[str, Callable[[], str]] = {
        "flt": lambda: flight(rng, lang),
        "flt2": lambda: flight(rng, lang),
        "pnr": lambda: pnr(rng),
        "order": lambda: order(rng),
        "hconf": lambda: hotel_conf(rng),
        "amount": lambda: amount(rng, lang),
        "h": lambda: str(rng.randint(1, 5)),
        "mins": lambda: str(rng.choice([10, 15, 20, 25, 30, 40, 45])),
        "n": lambda: str(rng.randint(2, 9)),
        "tax": lambda: tax_id(rng, lang),
        "email": lambda: email(rng),
        "claim": lambda: rng.choice(["ER-", "EXP", "BX", "R"]) + _digits(rng, rng.randint(5, 8)),
        "appr": lambda: rng.choice(["TA-", "TR", "SQ", "AP-"]) + _digits(rng, rng.randint(5, 8)),
        "car": lambda: rng.choice(["K", "RC", "H"]) + _digits(rng, rng.randint(7, 9)),
        "bag": lambda: (
            rng.choice(["PVG", "HND", "TPE", "HKG", "NRT", "PEK", "LHR"])
            + rng.choice(["CA", "NH", "BR", "CX", "JL", "MU"])
            + _digits(rng, 5)
        ),
        "train": lambda: train_no(rng, lang),
    }
    if name in generated:
        return generated[name]()
    if name == "city2":
        name = "city"
    if name in lists:
        return rng.choice(lists[name])
    raise KeyError(f"unknown slot {{{name}}} in {lang} templates")


INNER = re.compile(r"\{([^{}]*)\}")


def expand(template: str, rng: random.Random, lang: str, lists: dict[str, list[str]]) -> str:
    """Resolve ``{a|b}`` choices and ``{slot}`` fills, innermost first."""
    text = template
    for _ in range(50):
        match = INNER.search(text)
        if match is None:
            return text.replace("\\n", "\n")
        body = match.group(1)
        value = rng.choice(body.split("|")) if "|" in body else slot_value(body, rng, lang, lists)
        text = text[: match.start()] + value + text[match.end() :]
    raise ValueError(f"template does not terminate: {template}")


# ---------------------------------------------------------------- noise


QWERTY_NEIGHBOURS = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        [
            "qs",
            "vn",
            "xv",
            "sf",
            "wr",
            "dg",
            "fh",
            "gj",
            "uo",
            "hk",
            "jl",
            "k",
            "n",
            "bm",
            "ip",
            "o",
            "w",
            "et",
            "ad",
            "ry",
            "yi",
            "cb",
            "qe",
            "zc",
            "tu",
            "x",
        ],
        strict=True,
    )
)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    near = QWERTY_NEIGHBOURS.get(word[i].lower(), word[i])
    return word[:i] + rng.choice(near) + word[i + 1 :]


FULL_WIDTH = str.maketrans(string.digits, "０１２３４５６７８９")


def noise(text: str, lang: str, channel: str, rng: random.Random) -> str:
    """Make the text look typed (or transcribed) by a hurried person."""
    if lang == "en":
        words = text.split(" ")
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 2)):
                k = rng.randrange(len(words))
                words[k] = typo(words[k], rng)
        text = " ".join(words)
        if channel == "ivr" or rng.random() < 0.25:
            text = text.lower()
        if channel == "ivr" or rng.random() < 0.2:
            text = re.sub(r"[.,!?;:\"]", "", text)
        if rng.random() < 0.1:
            text = re.sub(r"\byou\b", "u", text)
            text = re.sub(r"\bplease\b", "pls", text)
        return text
    if channel == "ivr" or rng.random() < 0.2:
        text = re.sub(r"[，。、！？：；,.!?]", " " if rng.random() < 0.5 else "", text)
    if rng.random() < 0.12:
        text = text.translate(FULL_WIDTH)
    if rng.random() < 0.08:
        text = text.replace("，", ",").replace("？", "?")
    return text


# ---------------------------------------------------------------- composition


def split_list(items: list[str], key: str) -> tuple[list[str], list[str]]:
    shuffled = list(items)
    random.Random(stable_seed(key)).shuffle(shuffled)
    n_test = max(2, round(len(shuffled) * TEST_SHARE))
    return shuffled[n_test:], shuffled[:n_test]


def join(parts: list[str], lang: str, rng: random.Random) -> str:
    parts = [p for p in parts if p]
    if lang == "en":
        out = parts[0]
        for part in parts[1:]:
            sep = rng.choice([" ", ". ", ", ", " - ", " "])
            if out and out[-1] in ".!?,:" and sep != " ":
                sep = " "
            out += sep + part
        return out
    out = parts[0]
    sep_choices = ["，", "。", " ", ""] if lang.startswith("zh") else ["。", "、", " ", ""]
    for part in parts[1:]:
        sep = rng.choice(sep_choices)
        if out and out[-1] in "，。！？、!?,.~～":
            sep = ""
        out += sep + part
    return out


def urgency_modifier(category: str, urgency: str, r: float) -> tuple[str | None, str]:
    """The urgency sentence to add (if any) for a draw ``r``, and the urgency it leaves."""
    if urgency == "critical":
        return None, urgency
    p_crit = 0.2 if category in TRAVELLING_NOW else 0.0
    if r < p_crit:
        return "@crit", "critical"
    if r < p_crit + 0.2:
        return "@high", max(urgency, "high", key=URGENCY_RANK.__getitem__)
    if r < p_crit + 0.36 and urgency in ("normal", "low"):
        return "@low", "low"
    return None, urgency


def sentiment_modifier(sentiment: str, urg_mod: str | None, r: float) -> tuple[str | None, str]:
    """The sentiment sentence to add (if any) for a draw ``r``, and the sentiment it leaves."""
    if r < 0.24:
        return "@neg", "negative"
    if r < 0.34 and sentiment != "negative" and urg_mod != "@crit":
        return "@pos", "positive"
    return None, sentiment


class Composer:
    """Composes examples for one language and split from the template sections."""

    def __init__(self, lang: str, sections: dict[str, list[str]], split: str) -> None:
        self.lang = lang
        self.split = split
        self.lists = {k[1:]: v for k, v in sections.items() if k.startswith("$")}
        self.mods: dict[str, list[str]] = {}
        for name in MODIFIERS:
            train, test = split_list(sections[name], f"{lang}/{name}")
            self.mods[name] = test if split == "test" else train
        self.openers = sections["@open"]
        self.closers = sections["@close"]
        self.frames = {k: sections[k] for k in ("@email", "@ivr", "@chat", "@subject")}

    def compose(self, category: str, core: Core, rng: random.Random) -> Example:
        urgency, sentiment = core.urgency, core.sentiment
        body = [expand(core.text, rng, self.lang, self.lists)]

        urg_mod, urgency = urgency_modifier(category, urgency, rng.random())
        if urg_mod:
            mod = expand(rng.choice(self.mods[urg_mod]), rng, self.lang, self.lists)
            body.insert(rng.choice([0, 1]), mod)

        sent_mod, sentiment = sentiment_modifier(sentiment, urg_mod, rng.random())
        if sent_mod:
            mod = expand(rng.choice(self.mods[sent_mod]), rng, self.lang, self.lists)
            body.insert(len(body) if rng.random() < 0.7 else 0, mod)

        if rng.random() < 0.3:
            body.insert(0, expand(rng.choice(self.openers), rng, self.lang, self.lists))
        if rng.random() < 0.3:
            body.append(expand(rng.choice(self.closers), rng, self.lang, self.lists))

        channel = rng.choices(["chat", "email", "ivr", "plain"], weights=[40, 18, 14, 28])[0]
        text = noise(join(body, self.lang, rng), self.lang, channel, rng)
        if channel == "chat" and sentiment == "negative" and rng.random() < 0.2:
            text += rng.choice(["😡", "😤", "!!!", "👎"])
        if channel != "plain":
            text = self.frame(channel, text, rng)
        return Example(
            text=text.strip(),
            lang=self.lang,
            category=category,
            urgency=urgency,
            sentiment=sentiment,
            source=f"tripcare-synthetic:{core.ident}",
            split=self.split,
        )

    def frame(self, channel: str, body: str, rng: random.Random) -> str:
        frame = rng.choice(self.frames[f"@{channel}"])
        subject = expand(rng.choice(self.frames["@subject"]), rng, self.lang, self.lists)
        frame = frame.replace("{body}", "\x00").replace("{subject}", "\x01")
        text = expand(frame, rng, self.lang, self.lists)
        return text.replace("\x01", subject).replace("\x00", body)


def parse_cores(lang: str, category: str, lines: list[str]) -> list[Core]:
    cores = []
    for i, line in enumerate(lines):
        code, _, text = line.partition(" ")
        if len(code) != 2 or code[0] not in URGENCY or code[1] not in SENTIMENT:
            raise ValueError(f"{lang}/{category}: bad label code in {line!r}")
        urgency = URGENCY[code[0]]
        urgency = TEMPLATE_URGENCY.get((category, urgency), urgency)
        cores.append(Core(text, urgency, SENTIMENT[code[1]], f"{lang}/{category}/{i:02d}"))
    return cores


def synthetic(templates_dir: Path) -> Iterator[Example]:
    for lang in LANGS:
        sections = parse_templates(templates_dir / f"{lang}.txt")
        composers = {split: Composer(lang, sections, split) for split in ("train", "test")}
        for category in CATEGORIES:
            cores = parse_cores(lang, category, sections[category])
            random.Random(stable_seed(lang, category)).shuffle(cores)
            n_test = max(4, round(len(cores) * TEST_SHARE))
            by_split = {"test": cores[:n_test], "train": cores[n_test:]}
            for split, count in (("train", TRAIN_PER_CELL), ("test", TEST_PER_CELL)):
                rng = random.Random(stable_seed(lang, category, split))
                pool = by_split[split]
                seen: set[str] = set()
                attempts = 0
                while len(seen) < count and attempts < count * 20:
                    core = pool[attempts % len(pool)]
                    attempts += 1
                    example = composers[split].compose(category, core, rng)
                    if example.text not in seen:
                        seen.add(example.text)
                        yield example


# ---------------------------------------------------------------- public data

CLINC_MAP = {
    "lost_luggage": ("baggage", "normal"),
    "carry_on": ("baggage", "normal"),
    "flight_status": ("flight_disruption", "normal"),
    "car_rental": ("ground_transport", "normal"),
    "uber": ("ground_transport", "normal"),
    "card_declined": ("billing", "normal"),
    "international_visa": ("other", "low"),
    "travel_alert": ("other", "low"),
    "vaccines": ("other", "low"),
    "plug_type": ("other", "low"),
    "timezone": ("other", "low"),
    "exchange_rate": ("other", "low"),
    "oos": ("other", "low"),
    # A request to book is the booking desk's (docs/routing.md, category definitions);
    # restaurant tables are not travel support.
    "book_hotel": ("hotel_issue", "normal"),
    "book_flight": ("booking_failure", "normal"),
    "travel_suggestion": ("other", "low"),
    "restaurant_reservation": ("other", "low"),
    "cancel_reservation": ("other", "low"),
    "confirm_reservation": ("other", "low"),
    "report_fraud": ("billing", "normal"),
}
BITEXT_MAP = {
    "check_invoice": ("invoice", "normal"),
    "get_invoice": ("invoice", "normal"),
    "get_refund": ("cancel_refund", "normal"),
    "track_refund": ("cancel_refund", "normal"),
    "check_refund_policy": ("cancel_refund", "normal"),
    "check_cancellation_fee": ("cancel_refund", "normal"),
    "cancel_order": ("cancel_refund", "normal"),
    "recover_password": ("account_access", "normal"),
    "registration_problems": ("account_access", "normal"),
    "payment_issue": ("billing", "normal"),
    "check_payment_methods": ("billing", "normal"),
    "complaint": ("service_complaint", "high"),
    "contact_human_agent": ("other", "low"),
    "contact_customer_service": ("other", "low"),
}


def public(shared: Path) -> Iterator[Example]:
    """Up to PUBLIC_PER_CATEGORY English items per category, spread over the intents."""
    pools = _clinc_pools(shared) | _bitext_pools(shared)
    category_of = {f"clinc150:{k}": v[0] for k, v in CLINC_MAP.items()}
    category_of |= {f"bitext:{k}": v[0] for k, v in BITEXT_MAP.items()}
    for category in CATEGORIES:
        intents = sorted(k for k in pools if category_of[k] == category)
        if not intents:
            continue
        per_intent = PUBLIC_PER_CATEGORY // len(intents)
        for key in intents:
            for split, (text, _, source, urgency) in _chosen(key, pools[key], per_intent):
                yield Example(
                    text=text,
                    lang="en",
                    category=category,
                    urgency=urgency,
                    sentiment="negative" if category == "service_complaint" else "neutral",
                    source=f"{source}:{key.split(':', 1)[1]}",
                    split=split,
                )


Pool = list[tuple[str, str, str, str]]
"""One intent's items: (text, split, source, urgency); Bitext's split is empty."""


def _clinc_pools(shared: Path) -> dict[str, Pool]:
    pools: dict[str, Pool] = {}
    clinc = shared / "clinc150" / "data_full.json"
    if clinc.exists():
        data = json.loads(clinc.read_text(encoding="utf-8"))
        for part, split in (
            ("train", "train"),
            ("val", "train"),
            ("test", "test"),
            ("oos_train", "train"),
            ("oos_val", "train"),
            ("oos_test", "test"),
        ):
            for text, intent in data[part]:
                if intent in CLINC_MAP:
                    pools.setdefault(f"clinc150:{intent}", []).append(
                        (text, split, "clinc150", CLINC_MAP[intent][1])
                    )
    return pools


def _bitext_pools(shared: Path) -> dict[str, Pool]:
    pools: dict[str, Pool] = {}
    bitext = shared / "bitext-customer-support" / "utterances.jsonl"
    if bitext.exists():
        for line in bitext.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["intent"] in BITEXT_MAP:
                pools.setdefault(f"bitext:{row['intent']}", []).append(
                    (row["text"], "", "bitext", BITEXT_MAP[row["intent"]][1])
                )
    return pools


def _chosen(key: str, pool: Pool, per_intent: int) -> list[tuple[str, tuple[str, str, str, str]]]:
    """One intent's share, train items first, with its own seeded shuffle."""
    rng = random.Random(stable_seed("public", key))
    items = sorted(set(pool))
    rng.shuffle(items)
    n_test = round(per_intent * PUBLIC_TEST_SHARE)
    tests = [it for it in items if it[1] == "test"][:n_test]
    trains = [it for it in items if it[1] == "train"][: per_intent - len(tests)]
    if not tests and not trains:  # Bitext has no split of its own
        tests, trains = items[:n_test], items[n_test:per_intent]
    return [*(("train", it) for it in trains), *(("test", it) for it in tests)]


def default_shared() -> Path:
    """``../shared/data`` next to the checkout (or next to the worktrees' folder)."""
    for parent in HERE.parents[1:4]:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return HERE.parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--out", type=Path, default=HERE / "corpus.jsonl")
    args = parser.parse_args()

    if not args.shared.is_dir():
        print(
            f"warning: {args.shared} not found: the corpus will lack the public English part",
            file=sys.stderr,
        )
    rows: list[Example] = []
    seen: set[str] = set()
    for example in [*synthetic(HERE / "templates"), *public(args.shared)]:
        key = example.text.strip().lower()
        if key in seen:
            continue
        seen.add(key)
        rows.append(example)
    with args.out.open("w", encoding="utf-8") as out:
        for example in rows:
            out.write(json.dumps(example.row(), ensure_ascii=False) + "\n")
    counts = Counter((e.split, e.lang) for e in rows)
    print(f"wrote {len(rows)} examples to {args.out}: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
