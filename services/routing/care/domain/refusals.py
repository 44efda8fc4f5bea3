"""A value the domain refuses, raised as pydantic's own validation error: a 422 naming the
field over HTTP, a dead letter on the bus, nothing written (the edges already answer so for
what a model refuses)."""

from __future__ import annotations

from typing import NoReturn

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


def raise_invalid(
    model: str, loc: tuple[str, ...], value: str, error: PydanticCustomError
) -> NoReturn:
    """Raise ``error`` as a validation error of ``model`` naming ``loc``, ``value`` its input."""
    detail = InitErrorDetails(type=error, loc=loc, input=value)
    raise ValidationError.from_exception_data(model, [detail])
