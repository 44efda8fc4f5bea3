"""Map the real, human-written data sets into TripCare's labels: ``data/routing/real/*.jsonl``.

The five sets in ``../shared/data/real`` (see its README) were written by people
talking to a travel or support assistant; none carries TripCare's labels. This
script maps what fits by rules on each set's own annotation (service, intent,
dialogue act, tool call) and writes one file per set, so each file keeps its
set's licence. Every row names its ``pool``:

* ``train`` — learnt from, with these mapped labels;
* ``calib`` — fits the confidence calibration (temperature per field), never learnt from.

Dialogues are assigned to pools whole (by a hash of the dialogue id), so turns of one
conversation never sit on both sides. A share of the dialogues is kept out of both
pools: the hand-labelled evaluation rows (``real/eval/*.jsonl``, labelled by hand
from these, never regenerated) come from that share, and ``--candidates`` prints a
seeded sample of it to label. Any text whose normalised form is in the evaluation
or fresh sets is dropped here too.

CrossWOZ turns converted to Traditional Chinese with opencc (``s2twp``, Taiwan
phrases) are an extra, honest source of zh-Hant script ("real zh-Hans converted"),
marked as such; they are never the only zh-Hant evidence (see ``handwritten/``).

Run: ``python data/routing/build_real.py [--shared PATH] [--candidates N]``.
Everything is seeded: the output is byte-identical between runs.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import random
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import opencc

HERE = Path(__file__).resolve().parent
REAL = HERE / "real"
sys.path.insert(0, str(HERE.parents[1]))

from services.routing.tools.triage_data import overlap_key, read_handwritten, read_rows  # noqa: E402

SEED = 20250214
EVAL_SHARE = 0.12  # of dialogues, reserved for hand labelling: in no pool
CALIB_SHARE = 0.12
PER_CATEGORY = {"train": 450, "calib": 40}
"""At most this many rows per source, category and pool, so no set swamps the templates."""


@dataclass(frozen=True)
class Mapped:
    text: str
    lang: str
    category: str
    urgency: str
    sentiment: str
    source: str
    group: str
    pool: str = ""
    labels: str = "mapped"

    def row(self) -> dict[str, str]:
        out = asdict(self)
        del out["group"]
        return out


def bucket(group: str) -> str:
    """eval (reserved), calib or train, by a stable hash of the dialogue/group id."""
    value = int(hashlib.sha256(f"{SEED}/{group}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if value < EVAL_SHARE:
        return "eval"
    return "calib" if value < EVAL_SHARE + CALIB_SHARE else "train"


def shared_root(given: Path | None) -> Path | None:
    """``../shared/data`` next to the checkout (or next to the worktrees' folder)."""
    candidates = [given] if given else [p / "shared" / "data" for p in HERE.parents[1:4]]
    return next((c for c in candidates if c is not None and (c / "real").is_dir()), None)


# ---------------------------------------------------------------- SGD (en, CC BY-SA 4.0)

SGD_CATEGORY = {
    "Flights": "booking_failure",
    "Hotels": "hotel_issue",
    "RentalCars": "ground_transport",
    "Buses": "ground_transport",
    "Trains": "ground_transport",
    "RideSharing": "ground_transport",
    "Travel": "other",
}
SGD_TOPIC = re.compile(
    r"\b(flights?|fly|airlines?|hotels?|rooms?|house|stay|cars?|rental|cabs?|taxi|rides?|"
    r"bus(es)?|trains?|tickets?|attractions?)\b",
    re.I,
)
SGD_WORDS = (
    ("hotel_issue", re.compile(r"\b(hotels?|rooms?|house|place to stay)\b", re.I)),
    ("booking_failure", re.compile(r"\b(flights?|fly|plane|airlines?)\b", re.I)),
    (
        "ground_transport",
        re.compile(r"\b(cabs?|taxi|ride|rental car|car|bus(es)?|trains?)\b", re.I),
    ),
    ("other", re.compile(r"\b(attractions?|things to do|museum|events?|songs?|movies?)\b", re.I)),
)


def sgd_category(service: str, text: str) -> str | None:
    """The service's category, unless the words name another one (frames lag the talk)."""
    named = {category for category, words in SGD_WORDS if words.search(text)}
    category = SGD_CATEGORY[service.split("_")[0]]
    if not named or category in named:
        return category
    return named.pop() if len(named) == 1 else None


def sgd(root: Path) -> Iterator[Mapped]:
    path = root / "real" / "sgd_travel" / "derived_user_turns_travel.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            turn = json.loads(line)
            acts = set(turn["acts"])
            category = sgd_category(turn["service"], turn["text"])
            if category is None:
                continue
            group = f"sgd:{turn['dialogue_id']}"
            text = turn["text"].strip()
            if "INFORM_INTENT" in acts:
                urgency = "low" if category == "other" else "normal"
            elif acts == {"REQUEST"} and SGD_TOPIC.search(text):
                urgency = "low"
            elif acts <= {"THANK_YOU", "GOODBYE", "NEGATE"} and acts & {"THANK_YOU", "GOODBYE"}:
                if any(words.search(text) for _, words in SGD_WORDS):
                    continue  # annotated as thanks but asks for something: not small talk
                category, urgency = "other", "low"
            else:
                continue
            yield Mapped(text, "en", category, urgency, "neutral", f"sgd:{turn['service']}", group)


# ---------------------------------------------------------------- NLU++ hotels (en, CC BY 4.0)

NLUPP_SOCIAL = {"greet", "thank", "end_call", "acknowledge", "affirm", "deny", "dont_know"}
NLUPP_INFO = {"request_info", "how", "how_much", "how_long", "when", "why", "limits"}


def nlupp_labels(intents: set[str]) -> tuple[str, str] | None:
    if "restaurant" in intents:  # a table, not a stay: not a travel-support topic
        return ("other", "low") if not intents & {"cancel_close_leave_freeze", "change"} else None
    if intents & {"cancel_close_leave_freeze", "refund"}:
        if intents & {"refund", "booking", "existing"}:
            return "cancel_refund", "normal"
        return "other", "low"  # closing a rewards account, a subscription…
    if "change" in intents:
        return "change_rebook", "normal"
    if intents & {"wrong_notworking_notshowing", "lost_stolen"}:
        return "hotel_issue", "normal"
    if "handoff" in intents or (intents and intents <= NLUPP_SOCIAL | {"repeat"}):
        return "other", "low"
    if intents & NLUPP_INFO:
        return "hotel_issue", "low"
    if intents & {"booking", "make_open_apply_setup_get_activate", "new", "existing"}:
        return "hotel_issue", "normal"
    if intents:
        return "hotel_issue", "normal"  # a request: towels, room service, cleaning
    return None


def nlupp(root: Path) -> Iterator[Mapped]:
    for path in sorted((root / "real" / "polyai_nlupp_hotels" / "hotels").glob("fold*.json")):
        for i, item in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            labels = nlupp_labels(set(item.get("intents", [])))
            if labels is None:
                continue
            group = f"nlupp:{path.stem}:{i}"
            source = "nlupp-hotels:" + "+".join(sorted(item.get("intents", [])))
            yield Mapped(item["text"].strip(), "en", *labels, "neutral", source, group)


# ---------------------------------------------------------------- BANKING77 (en, CC BY 4.0)

BANKING_MAP = {
    "request_refund": ("cancel_refund", "normal"),
    "Refund_not_showing_up": ("cancel_refund", "normal"),
    "extra_charge_on_statement": ("billing", "normal"),
    "transaction_charged_twice": ("billing", "normal"),
    "card_payment_fee_charged": ("billing", "normal"),
    "card_payment_not_recognised": ("billing", "normal"),
    "declined_card_payment": ("billing", "normal"),
    "pending_card_payment": ("billing", "normal"),
    "card_payment_wrong_exchange_rate": ("billing", "normal"),
    "reverted_card_payment?": ("billing", "normal"),
    "direct_debit_payment_not_recognised": ("billing", "normal"),
    "passcode_forgotten": ("account_access", "normal"),
    "unable_to_verify_identity": ("account_access", "normal"),
    "edit_personal_details": ("account_access", "low"),
}


def banking77(root: Path) -> Iterator[Mapped]:
    folder = root / "real" / "polyai_banking77"
    for part in ("train", "test"):
        with (folder / f"{part}.csv").open(encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle)):
                if row["category"] in BANKING_MAP:
                    category, urgency = BANKING_MAP[row["category"]]
                    yield Mapped(
                        row["text"].strip(),
                        "en",
                        category,
                        urgency,
                        "neutral",
                        f"banking77:{row['category']}",
                        f"banking77:{part}:{i}",
                    )


# ---------------------------------------------------------------- CrossWOZ (zh-Hans, Apache-2.0)

CW_HOTEL = re.compile(r"酒店|宾馆|住宿|房间|入住|饭店")
CW_TAXI = re.compile(r"出租|打车|车|司机")
CW_METRO = re.compile(r"地铁")
_S2TW = opencc.OpenCC("s2twp.json")


def crosswoz_labels(text: str, acts: list[list[str]]) -> tuple[str, str] | None:
    domains = {a[1] for a in acts if a[0] in ("Inform", "Request", "Select")}
    searches = {a[1] for a in acts if a[0] == "Request" and a[2] == "名称"}
    asked = {a[2] for a in acts if a[0] == "Request" and a[1] == "酒店"}
    if asked and asked <= {"周边景点", "周边餐馆"} and not searches:
        return "other", "low"  # sights or restaurants near the hotel
    if "酒店" in domains and CW_HOTEL.search(text):
        # asking for a hotel's name is asking us to find one; anything else is a question
        return "hotel_issue", "normal" if "酒店" in searches else "low"
    if "出租" in domains and CW_TAXI.search(text):
        return "ground_transport", "normal"
    if "地铁" in domains and CW_METRO.search(text):
        return "ground_transport", "low"
    if domains & {"景点", "餐馆"} and not domains & {"酒店", "出租", "地铁"}:
        return "other", "low"
    if not domains and {a[1] for a in acts} & {"thank", "bye", "greet"}:
        return "other", "low"
    return None


def crosswoz(root: Path) -> Iterator[Mapped]:
    folder = root / "real" / "crosswoz"
    for part in ("val", "test"):
        with zipfile.ZipFile(folder / f"{part}.json.zip") as archive:
            name = next(n for n in archive.namelist() if n.endswith(".json"))
            dialogues = json.loads(archive.read(name).decode("utf-8"))
        for dialogue_id, dialogue in dialogues.items():
            group = f"crosswoz:{part}:{dialogue_id}"
            # A fixed share of whole dialogues is shown in Traditional script instead.
            traditional = bucket(group + "/script") == "eval" or int(dialogue_id) % 4 == 0
            for message in dialogue["messages"]:
                if message["role"] != "usr":
                    continue
                text = message["content"].strip()
                labels = crosswoz_labels(text, message["dialog_act"])
                if labels is None:
                    continue
                if traditional:
                    yield Mapped(
                        _S2TW.convert(text),
                        "zh-Hant",
                        *labels,
                        "neutral",
                        "crosswoz:zh-Hant-converted",
                        group,
                    )
                else:
                    yield Mapped(text, "zh-Hans", *labels, "neutral", "crosswoz", group)


# ---------------------------------------------------------------- JMultiWOZ-TC (ja, CC BY-SA 4.0)

JM_HOTEL = re.compile(r"ホテル|旅館|宿|部屋|チェックイン|泊")
JM_TAXI = re.compile(r"タクシー|送迎|配車|ハイヤー")
JM_INFO = re.compile(r"教えて|ありますか|何時|いくら|電話番号|住所|最寄り|ですか[？?]?$")
JM_BOOK = re.compile(r"予約|手配|お願いします|探して|ください")
JM_THANKS = re.compile(r"^(?:ありがとう|以上|大丈夫です|助かりました|失礼します)")


JM_CHANGE = re.compile(r"に変更|変えて|変更して|変更でお願い")


def jmultiwoz_labels(text: str, tools: set[str]) -> tuple[str, str] | None:
    if tools & {"hotel", "taxi"} and JM_CHANGE.search(text):
        return "change_rebook", "normal"  # "make it three nights": a change, read alone
    info = bool(JM_INFO.search(text)) and not JM_BOOK.search(text)
    if ("taxi" in tools or not tools) and JM_TAXI.search(text):
        return "ground_transport", "low" if info else "normal"
    if ("hotel" in tools or not tools) and JM_HOTEL.search(text):
        return "hotel_issue", "low" if info else "normal"
    if tools & {"restaurant", "attraction", "shopping", "weather"}:
        return "other", "low"
    if not tools and JM_THANKS.search(text):
        return "other", "low"
    return None


def jmultiwoz(root: Path) -> Iterator[Mapped]:
    with zipfile.ZipFile(root / "real" / "jmultiwoz_tc" / "JMultiWOZ-TC_data.zip") as archive:
        names = archive.namelist()
        inputs = archive.read(next(n for n in names if n.endswith("_input.json")))
        truth = archive.read(next(n for n in names if n.endswith("_ground.json")))
    for raw, expected in zip(
        io.StringIO(inputs.decode("utf-8")), io.StringIO(truth.decode("utf-8")), strict=True
    ):
        item, calls = json.loads(raw), json.loads(expected)
        text = item["question"][-1]["content"].strip()
        tools = {call["name"].split("_", 1)[1] for call in calls["ground_truth"]}
        labels = jmultiwoz_labels(text, tools)
        if labels is None:
            continue
        yield Mapped(
            text, "ja", *labels, "neutral", "jmultiwoz", f"jmultiwoz:{item['dialogue_id']}"
        )


SOURCES = {
    "sgd_travel": sgd,
    "nlupp_hotels": nlupp,
    "banking77": banking77,
    "crosswoz": crosswoz,
    "jmultiwoz": jmultiwoz,
}


# ---------------------------------------------------------------- pools


def held_out_keys() -> set[str]:
    """Normalised texts of every evaluation and fresh row: never in a pool."""
    keys = {overlap_key(r["text"]) for r in read_rows(REAL / "eval")}
    for row in read_handwritten(REAL / "handwritten"):
        if row["pool"] in ("eval", "fresh", "holdout"):
            keys.add(overlap_key(row["text"]))
    return keys


def pooled(rows: Iterable[Mapped], name: str, held_out: set[str]) -> list[Mapped]:
    """Deduplicated rows of the train and calib pools, capped per category, seeded order."""
    by_pool: dict[tuple[str, str], list[Mapped]] = {}
    seen: set[str] = set()
    for row in rows:
        key = overlap_key(row.text)
        if not key or key in seen or key in held_out:
            continue
        seen.add(key)
        pool = bucket(row.group)
        if pool != "eval":
            by_pool.setdefault((pool, row.category), []).append(row)
    out = []
    for (pool, category), items in sorted(by_pool.items()):
        random.Random(f"{SEED}/{name}/{pool}/{category}").shuffle(items)
        out += [Mapped(**{**asdict(r), "pool": pool}) for r in items[: PER_CATEGORY[pool]]]
    return out


def candidates(rows: Iterable[Mapped], name: str, count: int, held_out: set[str]) -> list[Mapped]:
    """A seeded sample of the reserved share, one turn per dialogue, to label by hand."""
    reserved: dict[str, list[Mapped]] = {}
    for row in rows:
        if bucket(row.group) == "eval" and overlap_key(row.text) not in held_out:
            reserved.setdefault(row.group, []).append(row)
    rng = random.Random(f"{SEED}/{name}/candidates")
    groups = sorted(reserved)
    rng.shuffle(groups)
    return [rng.choice(reserved[g]) for g in groups[:count]]


def reserved(rows: Iterable[Mapped], held_out: set[str]) -> list[Mapped]:
    """Rows of the reserved share from dialogues none of whose turns is an evaluation row:
    real text in no pool, for simulating a batch of agents' corrections."""
    rows = list(rows)
    evaluated = {r.group for r in rows if overlap_key(r.text) in held_out}
    seen: set[str] = set()
    out = []
    for row in rows:
        key = overlap_key(row.text)
        if bucket(row.group) == "eval" and row.group not in evaluated and key not in seen:
            seen.add(key)
            out.append(Mapped(**{**asdict(row), "pool": "reserved"}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path)
    parser.add_argument("--out", type=Path, default=REAL)
    parser.add_argument("--candidates", type=int, help="print N evaluation candidates per set")
    parser.add_argument("--reserved", action="store_true", help="print the unused reserved rows")
    args = parser.parse_args()
    root = shared_root(args.shared)
    if root is None:
        print(
            "warning: no ../shared/data/real: the committed real/*.jsonl are kept", file=sys.stderr
        )
        return
    held_out = held_out_keys()
    for name, read in SOURCES.items():
        rows = list(read(root))
        if args.reserved:
            for row in reserved(rows, held_out):
                print(json.dumps(row.row(), ensure_ascii=False))
            continue
        if args.candidates:
            for row in candidates(rows, name, args.candidates, held_out):
                print(json.dumps(row.row() | {"pool": "eval"}, ensure_ascii=False))
            continue
        kept = pooled(rows, name, held_out)
        path = args.out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in kept:
                out.write(json.dumps(row.row(), ensure_ascii=False) + "\n")
        counts = Counter(r.pool for r in kept)
        print(f"{name}: {len(rows)} mapped, wrote {dict(sorted(counts.items()))} to {path}")


if __name__ == "__main__":
    main()
