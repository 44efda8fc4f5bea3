"""Uptime checkers and load balancers probe with HEAD: /healthz, /readyz and /metrics answer
it as they answer GET, without a body (they answered 405)."""

from __future__ import annotations

import pytest

from tests.unit.test_trailing_slash import SERVICES, answers


@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
async def test_head_answers_as_get_does(service: str, path: str) -> None:
    app = SERVICES[service]()

    got = await answers(app, "GET", path, None)
    head = await answers(app, "HEAD", path, None)

    assert (head.status_code, head.headers["content-type"]) == (
        got.status_code,
        got.headers["content-type"],
    )
    assert got.status_code == 200
    assert head.content == b""
