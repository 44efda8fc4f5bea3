"""Error answers that cannot fail, and JSON bodies parsed strictly, for all four services.

FastAPI's default 422 echoes every error's input through ``jsonable_encoder``: a
body holding ``NaN``, ``1e400`` or a lone surrogate made rendering the 422 itself
fail (500), and 100,000 unknown keys made a 10 MB answer. Here every 422 has the
documented ``HTTPValidationError`` shape (``detail``: a list of ``{loc, msg,
type}``), at most ``MAX_ERRORS`` items of short, valid UTF-8 strings, and never
echoes the input.

JSON bodies are parsed by orjson, which refuses what ``json.loads`` lets through:
``NaN``/``Infinity`` and numbers that overflow to them, lone surrogates, bytes
that are not UTF-8, and nesting deeper than 1,024. NUL characters (``\\u0000``)
are refused in any JSON body: no text TripCare stores may hold one. A key given
twice counts once, with its last value. A declared body is parsed so by
``StrictJsonRoute``; a handler that reads its body itself (a signed webhook, a
reply that may be a form) uses ``parse_body`` (a model) or ``parse_json`` (any JSON),
so every invalid body gets the same 422.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.status import HTTP_422_UNPROCESSABLE_CONTENT

MAX_ERRORS = 20
"""Items in one 422; more are summed up in a last item."""
MAX_LOC_PARTS = 8
MAX_LOC_TEXT = 64
MAX_MESSAGE = 300
MAX_OBJECT_KEYS = 1_000
"""No request body needs more; 100,000 unknown keys cost ~1 s of the event loop in pydantic's
and FastAPI's error lists alone."""
NO_BODY = frozenset({204, 304})

Loc = Sequence[str | int]
M = TypeVar("M", bound=BaseModel)
_CLASS_NAMED = re.compile(r"or instance of \w+")
"""Pydantic's wording for a model validated from Python data names the class."""
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""``\\u0000`` preceded by an even number of backslashes: a NUL, not the text ``\\u0000``."""


def printable(value: object, limit: int) -> str:
    """``value`` as text that always encodes as UTF-8 (lone surrogates escaped), cut to
    ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _loc_part(part: object) -> str | int:
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    return printable(part, MAX_LOC_TEXT)


def error_item(error: Mapping[str, Any], prefix: Loc = ()) -> dict[str, Any]:
    """One ``{loc, msg, type}`` from a pydantic/FastAPI error dict, input left out."""
    loc = [*prefix, *error.get("loc", ())][:MAX_LOC_PARTS]
    message = _CLASS_NAMED.sub(
        "or object to extract fields from", str(error.get("msg") or "invalid")
    )
    context = error.get("ctx")
    if error.get("type") == "json_invalid" and isinstance(context, Mapping):
        reason = str(context.get("error"))
        message = message if reason in message else f"{message}: {reason}"
    return {
        "loc": [_loc_part(part) for part in loc],
        "msg": printable(message, MAX_MESSAGE),
        "type": printable(error.get("type") or "value_error", MAX_LOC_TEXT),
    }


def validation_detail(errors: Sequence[Mapping[str, Any]], prefix: Loc = ()) -> list[Any]:
    """The ``detail`` list of a 422: the first ``MAX_ERRORS`` errors, then how many more."""
    items = [error_item(error, prefix) for error in islice(errors, MAX_ERRORS)]
    if len(errors) > MAX_ERRORS:
        items.append(
            {
                "loc": [*prefix][:MAX_LOC_PARTS],
                "msg": f"and {len(errors) - MAX_ERRORS} more errors",
                "type": "too_many_errors",
            }
        )
    return items


def unprocessable(detail: list[Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=HTTP_422_UNPROCESSABLE_CONTENT, headers=headers
    )


def invalid(message: str, loc: Loc = (), kind: str = "value_error") -> RequestValidationError:
    """A 422 raised by hand (a cursor that does not decode, two fields that disagree)."""
    return RequestValidationError([{"loc": tuple(loc), "msg": message, "type": kind}])


def body_invalid(exc: ValidationError) -> RequestValidationError:
    """A model's refusal of a body a handler checks itself, as the 422 FastAPI gives for a
    declared body (every ``loc`` starts with ``body``)."""
    return RequestValidationError(
        [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
    )


NOT_JSON = "the body must be JSON, sent with Content-Type: application/json"


def _sent_as_json(content_type: str | None) -> bool:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def _json_expected(content_type: str | None, detail: list[Any]) -> list[Any]:
    """A JSON body sent as another type or none (``curl -d`` sends a form) was refused in
    words that did not say what to change: a declared body, read by FastAPI as bytes, as
    "Input should be a valid dictionary"; one a handler reads itself (a reply, which may be
    multipart) as "JSON decode error: unexpected character". Both say so instead, at
    ``["body"]``; a body sent as JSON keeps the parser's position and reason."""
    first = detail[0] if detail else None
    if first is None or _sent_as_json(content_type):
        return detail
    declared = first["loc"] == ["body"] and first["type"] == "model_attributes_type"
    if not declared and first["type"] != "json_invalid":
        return detail
    return [{**first, "loc": ["body"], "msg": NOT_JSON}, *detail[1:]]


async def _request_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = validation_detail(exc.errors())
    return unprocessable(_json_expected(request.headers.get("content-type"), detail))


async def _http_error(_: Request, exc: Exception) -> Response:
    """FastAPI's answer, except that a 422 raised with a plain message gets the list shape."""
    assert isinstance(exc, StarletteHTTPException)
    headers = getattr(exc, "headers", None)
    if exc.status_code < 200 or exc.status_code in NO_BODY:
        return Response(status_code=exc.status_code, headers=headers)
    if exc.status_code == HTTP_422_UNPROCESSABLE_CONTENT and not isinstance(exc.detail, list):
        return unprocessable(
            [{"loc": [], "msg": printable(exc.detail, MAX_MESSAGE), "type": "value_error"}],
            headers,
        )
    detail = printable(exc.detail, MAX_MESSAGE) if isinstance(exc.detail, str) else exc.detail
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)


def install_validation_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)


# ---------------------------------------------------------------- strict JSON


def _refuse(message: str, body: bytes, position: int) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, body[:200].decode("utf-8", "replace"), position)


def _check_objects(data: Any, body: bytes) -> None:
    """Refuse an object with more than ``MAX_OBJECT_KEYS`` keys before a model sees it."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if len(node) > MAX_OBJECT_KEYS:
                raise _refuse(
                    f"an object has {len(node):,} keys, at most {MAX_OBJECT_KEYS:,}", body, 0
                )
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))


def strict_json(body: bytes) -> Any:
    """Parse a JSON body or raise ``json.JSONDecodeError`` (FastAPI turns it into a 422)."""
    if b"\\u0000" in body and (match := _NUL_ESCAPE.search(body)) is not None:
        raise _refuse("NUL characters (\\u0000) are not allowed", body, match.end())
    data = orjson.loads(body)
    _check_objects(data, body)
    return data


def json_invalid(exc: json.JSONDecodeError) -> dict[str, Any]:
    """The one error of a body that is not JSON, as FastAPI words it for a declared body:
    the byte position in ``loc``, the parser's reason once in ``msg``."""
    return {
        "type": "json_invalid",
        "loc": ("body", exc.pos),
        "msg": "JSON decode error",
        "ctx": {"error": exc.msg},
    }


def parse_json(body: bytes) -> Any:
    """A body a handler reads itself, parsed by ``strict_json``: not JSON is the same
    ``RequestValidationError`` as for a declared body."""
    try:
        return strict_json(body)
    except json.JSONDecodeError as exc:
        raise RequestValidationError([json_invalid(exc)]) from exc


def parse_body(model: type[M], body: bytes) -> M:
    """A body a handler reads itself, parsed by ``parse_json`` and checked by ``model``:
    refused with the same ``RequestValidationError`` as a declared body."""
    data = parse_json(body)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise body_invalid(exc) from exc


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is parsed by ``strict_json``: every service's routers use it."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
