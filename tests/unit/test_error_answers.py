"""Error answers cannot fail and keep the documented shape; JSON bodies are parsed strictly.

Each case used to be a 500 (the default handler rendering the input it echoed) or
a huge answer; now it is a short 422 whose ``detail`` is a list of ``{loc, msg, type}``.
A handler that reads its body itself (``parse_body``) used pydantic's parser, which
let ``NaN`` through and worded a bad body twice without its position; now it answers
exactly as a declared body does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from runtime.errors import (
    MAX_ERRORS,
    NOT_JSON,
    StrictJsonRoute,
    error_item,
    install_validation_handlers,
    invalid,
    parse_body,
    validation_detail,
)
from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing

JSON = {"content-type": "application/json"}


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ratio: float = Field(ge=0, le=1)
    name: str = Field(max_length=20)


def sample_app() -> FastAPI:
    api = APIRouter(route_class=StrictJsonRoute)

    @api.post("/sample")
    async def post_sample(body: Sample) -> Sample:
        return body

    @api.post("/sample/read-by-hand")
    async def post_sample_read_by_hand(request: Request) -> Sample:
        return parse_body(Sample, await request.body())

    @api.get("/refused")
    async def refused() -> None:
        raise HTTPException(422, "give a queue or an assignee")

    @api.get("/invalid")
    async def by_hand() -> None:
        raise invalid("invalid cursor", ("query", "cursor"))

    app = FastAPI()
    app.include_router(api)
    install_validation_handlers(app)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sample_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def assert_documented_shape(body: Any) -> None:
    """HTTPValidationError: ``detail`` is a list of {loc: [str|int], msg: str, type: str}."""
    assert isinstance(body["detail"], list)
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}
        assert all(isinstance(part, str | int) for part in item["loc"])
        assert isinstance(item["msg"], str)
        assert isinstance(item["type"], str)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"ratio": 1e400, "name": "a"}', "infinity"),
        (b'{"ratio": -1e400, "name": "a"}', "infinity"),
        (b'{"ratio": NaN, "name": "a"}', "expected a JSON value"),
        (b'{"ratio": Infinity, "name": "a"}', "expected a JSON value"),
        (b'{"ratio": 0.5, "name": "\\ud800"}', "surrogate"),
        (b'{"ratio": 0.5, "name": "\xff\xfe"}', "UTF-8"),
        (b"[" * 10_000, "depth limit"),
        (b'{"ratio": 0.5, "name": "a\\u0000b"}', "NUL"),
        (b'{"ratio": 0.5, "name": "a\\\\\\u0000"}', "NUL"),
        (b'{"ratio": 0.5', "end of data"),
    ],
)
async def test_json_that_json_loads_lets_through_is_a_short_422(
    client: httpx.AsyncClient, raw: bytes, message: str
) -> None:
    answer = await client.post("/sample", content=raw, headers=JSON)

    assert answer.status_code == 422, answer.text
    assert_documented_shape(answer.json())
    [item] = answer.json()["detail"]
    assert item["type"] == "json_invalid"
    assert item["loc"][0] == "body"
    assert message in item["msg"]


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/x-www-form-urlencoded"},  # what curl -d sends
        {"content-type": "text/plain"},
        {},
    ],
)
async def test_json_sent_as_another_type_is_told_to_say_it_is_json(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """FastAPI reads such a body as bytes and answered "Input should be a valid dictionary
    or object to extract fields from", which did not say what to change."""
    answer = await client.post("/sample", content=b'{"ratio": 0.5, "name": "a"}', headers=headers)

    assert answer.status_code == 422, answer.text
    assert_documented_shape(answer.json())
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body"]
    assert item["msg"] == "the body must be JSON, sent with Content-Type: application/json"


async def test_a_json_body_that_is_no_object_keeps_its_own_reason(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/sample", content=b"[]", headers=JSON)

    [item] = answer.json()["detail"]
    assert "valid dictionary" in item["msg"]


@pytest.mark.parametrize(
    ("raw", "loc", "reason"),
    [
        (b"{", ["body", 1], "unexpected end of data"),
        (b'{"ratio": NaN, "name": "a"}', ["body", 10], "expected a JSON value"),
        (b'{"ratio": 0.5, "name": "a\\u0000"}', ["body", 31], "NUL"),
        (b'{"ratio": 7, "name": "a"}', ["body", "ratio"], "less than or equal to 1"),
    ],
)
async def test_a_body_read_by_hand_is_refused_exactly_as_a_declared_one(
    client: httpx.AsyncClient, raw: bytes, loc: list[Any], reason: str
) -> None:
    declared = await client.post("/sample", content=raw, headers=JSON)
    by_hand = await client.post("/sample/read-by-hand", content=raw, headers=JSON)

    assert declared.status_code == by_hand.status_code == 422
    assert by_hand.json() == declared.json()
    [item] = by_hand.json()["detail"]
    assert item["loc"] == loc
    assert item["msg"].count(reason) == 1, item


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "application/x-www-form-urlencoded"}, {"content-type": "text/plain"}, {}],
)
async def test_a_body_read_by_hand_not_sent_as_json_is_told_to_be_json_as_a_declared_one(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """``curl -d ratio=0.5`` at a body read by hand (a reply, which may be multipart) said
    "JSON decode error: unexpected character", where a declared body says what to change."""
    declared = await client.post("/sample", content=b"ratio=0.5&name=a", headers=headers)
    by_hand = await client.post(
        "/sample/read-by-hand", content=b"ratio=0.5&name=a", headers=headers
    )

    assert declared.status_code == by_hand.status_code == 422
    [said] = declared.json()["detail"]
    [item] = by_hand.json()["detail"]
    assert (item["loc"], item["msg"]) == (said["loc"], said["msg"]) == (["body"], NOT_JSON)


async def test_a_body_that_is_no_object_never_names_a_class(client: httpx.AsyncClient) -> None:
    """A body read by hand said "Input should be a valid dictionary or instance of Sample"
    (``SupplierEventIn`` at the supplier webhook, ``RatingIn`` at the survey, ``ChatVisitor``
    in a web chat payload): a class name is the code's, not the caller's vocabulary."""
    declared = await client.post("/sample", content=b"[]", headers=JSON)
    by_hand = await client.post("/sample/read-by-hand", content=b"[]")

    [said] = declared.json()["detail"]
    [item] = by_hand.json()["detail"]
    assert item["loc"] == ["body"]
    assert (
        item["msg"]
        == said["msg"]
        == ("Input should be a valid dictionary or object to extract fields from")
    )
    assert "Sample" not in by_hand.text


def test_a_json_error_worded_by_pydantic_reads_once() -> None:
    item = error_item(
        {
            "type": "json_invalid",
            "loc": ("body",),
            "msg": "Invalid JSON: EOF while parsing an object at line 1 column 1",
            "ctx": {"error": "EOF while parsing an object at line 1 column 1"},
        }
    )

    assert item["msg"] == "Invalid JSON: EOF while parsing an object at line 1 column 1"


async def test_a_key_given_twice_counts_once_with_its_last_value(
    client: httpx.AsyncClient,
) -> None:
    raw = b'{"ratio": 7, "name": "a", "ratio": 0.5}'

    declared = await client.post("/sample", content=raw, headers=JSON)
    by_hand = await client.post("/sample/read-by-hand", content=raw)

    assert declared.json() == by_hand.json() == {"ratio": 0.5, "name": "a"}


async def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/sample", content=b'{"ratio": 0.5, "name": "a\\\\u0000"}', headers=JSON
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "a\\u0000"


async def test_a_validation_error_never_echoes_the_input(client: httpx.AsyncClient) -> None:
    answer = await client.post("/sample", json={"ratio": 7, "name": "x" * 500}, headers=JSON)

    assert answer.status_code == 422
    assert_documented_shape(answer.json())
    assert "x" * 30 not in answer.text
    assert {tuple(i["loc"]) for i in answer.json()["detail"]} == {
        ("body", "ratio"),
        ("body", "name"),
    }


async def test_100000_unknown_keys_are_refused_in_one_short_answer(
    client: httpx.AsyncClient,
) -> None:
    flood = orjson.dumps({"ratio": 0.5, "name": "a", **{f"k{i}": i for i in range(100_000)}})
    assert len(flood) > 1_000_000

    answer = await client.post("/sample", content=flood, headers=JSON)

    assert answer.status_code == 422
    assert_documented_shape(answer.json())
    assert len(answer.content) < 1_000
    assert "100,002 keys" in answer.json()["detail"][0]["msg"]


async def test_many_errors_are_capped_with_a_count_of_the_rest(client: httpx.AsyncClient) -> None:
    many = {"ratio": 0.5, "name": "a", **{f"k{i}": i for i in range(500)}}

    answer = await client.post("/sample", json=many)

    detail = answer.json()["detail"]
    assert answer.status_code == 422
    assert len(detail) == MAX_ERRORS + 1
    assert detail[-1] == {"loc": [], "msg": "and 480 more errors", "type": "too_many_errors"}


async def test_a_422_raised_with_a_message_has_the_documented_shape(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.get("/refused")
    by_hand = await client.get("/invalid")

    assert refused.status_code == by_hand.status_code == 422
    assert refused.json() == {
        "detail": [{"loc": [], "msg": "give a queue or an assignee", "type": "value_error"}]
    }
    assert by_hand.json() == {
        "detail": [{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}]
    }


async def test_other_http_errors_keep_fastapis_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nowhere")).json() == {"detail": "Not Found"}


def test_an_error_item_is_short_valid_utf8_whatever_it_names() -> None:
    item = error_item(
        {
            "loc": ("body", "\ud800" + "k" * 1_000, 3, b"\xff", *range(20)),
            "msg": "m" * 5_000,
            "type": "extra_forbidden",
            "input": float("nan"),
        }
    )

    encoded = orjson.dumps(item)
    assert len(encoded) < 1_000
    assert item["loc"][1].startswith("\\ud800k")
    assert item["loc"][2] == 3
    assert len(item["loc"]) == 8
    assert "input" not in item


def test_no_errors_is_an_empty_detail() -> None:
    assert validation_detail([]) == []


def all_routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from all_routes(included.routes)
        else:
            yield route


@pytest.mark.parametrize("bootstrap", [intake, routing, notify, feedback])
def test_every_route_of_every_service_parses_json_strictly(bootstrap: Any) -> None:
    app = bootstrap()

    api_routes = [r for r in all_routes(app.router.routes) if isinstance(r, APIRoute)]

    assert api_routes
    assert [r.path for r in api_routes if not isinstance(r, StrictJsonRoute)] == []
