"""Every line a service writes is one JSON object, so a JSON log shipper reads it whole.

Uvicorn's start-up and shutdown lines and its "Exception in ASGI application" tracebacks
came out as plain text (uvicorn's own logging configuration), bypassing ``runtime.logging``
(FastStream's lines: tests/integration/test_json_logs.py, as its test broker mocks them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from deploy import local
from runtime import service
from runtime.logging import ROUTED, JsonFormatter
from runtime.settings import Settings
from runtime.web import install_error_handlers


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """``setup_logging`` sets the process's logging up; other tests keep theirs."""
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    routed = {name: logging.getLogger(name) for name in ROUTED}
    states = {name: (lg.handlers[:], lg.propagate, lg.level) for name, lg in routed.items()}
    logging.captureWarnings(False)  # an earlier test's capture, undone by pytest's own
    try:
        yield
    finally:
        root.handlers[:], _ = kept
        root.setLevel(kept[1])
        for name, (handlers, propagate, level) in states.items():
            routed[name].handlers[:] = handlers
            routed[name].propagate = propagate
            routed[name].setLevel(level)
        logging.captureWarnings(False)


def failing_app() -> FastAPI:
    """A service's app whose one route fails unexpectedly (uvicorn's factory)."""
    app = FastAPI()

    @app.get("/fails")
    async def fails() -> None:
        raise RuntimeError("the handler failed")

    install_error_handlers(app)
    return app


def json_lines(captured: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every line written to stdout and stderr, each of which must be one JSON object."""
    out, err = captured.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    parsed: list[dict[str, Any]] = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    return parsed


async def test_uvicorn_lines_a_failed_requests_traceback_and_library_lines_are_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` as the services run it, up to uvicorn, whose server runs in-process."""
    options: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: options.update(app=app, **kwargs))
    settings = Settings(service="itest", port=local.free_port())
    service.serve(f"{__name__}:failing_app", settings)
    options["loop"] = "asyncio"
    server = uvicorn.Server(uvicorn.Config(options.pop("app"), **options))
    running = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}") as http:
        answer = await http.get("/fails")
    server.should_exit = True
    await asyncio.wait_for(running, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a library's warning", DeprecationWarning, stacklevel=1)
    logging.getLogger("faststream").warning("FastStream's own logger")

    assert answer.status_code == 500
    lines = json_lines(capsys)
    said = [line["msg"] for line in lines]
    assert any(msg.startswith("Started server process") for msg in said)
    assert any(msg.startswith("Uvicorn running on") for msg in said)
    (failed,) = [line for line in lines if line["msg"] == "Exception in ASGI application"]
    assert failed["level"] == "ERROR"
    assert failed["service"] == "itest"
    assert "RuntimeError: the handler failed" in failed["exc"]
    assert any("a library's warning" in msg for msg in said)
    assert "FastStream's own logger" in said


def test_a_message_that_is_a_traceback_goes_to_exc_and_its_exception_line_is_the_msg() -> None:
    """Starlette hands uvicorn a failed start-up's ``traceback.format_exc()`` as the
    message: it landed whole in ``msg`` and no line said why the service did not start."""

    def chained() -> str:
        try:
            try:
                raise ConnectionRefusedError(111, "Connect call failed")
            except OSError as exc:
                cause = "broker unreachable at amqp://guest:***@h:5999/\nsecond line"
                raise RuntimeError(cause) from exc
        except RuntimeError:
            return traceback.format_exc()

    text = chained()
    record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, text, None, None)

    line = json.loads(JsonFormatter("itest").format(record))

    assert line["msg"] == "RuntimeError: broker unreachable at amqp://guest:***@h:5999/"
    assert line["exc"] == text.rstrip()
    assert "ConnectionRefusedError" in line["exc"]


def test_a_message_that_merely_mentions_a_traceback_stays_the_msg() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "no Traceback here", None, None)

    line = json.loads(JsonFormatter("itest").format(record))

    assert line["msg"] == "no Traceback here"
    assert "exc" not in line
