"""HTTP conventions shared by the services' APIs."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from runtime.store import NotFound

TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

TenantId = Annotated[
    str,
    Header(
        alias="X-Tenant-Id",
        pattern=TENANT_PATTERN,
        description="The enterprise customer the caller acts for; other tenants' data is 404.",
    ),
]


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"title": title, "detail": detail}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not found", str(exc))
