"""Keyset paging for any list a service answers: an opaque cursor holding the last item's
sort key and id, and the query for what comes after it.

A cursor is the caller's input: what does not decode to the position ``encode_cursor``
wrote (not base64, not JSON, a key of the wrong type or out of the store's range, an id
that is not text) is an ``InvalidCursor``, never a query.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

K = TypeVar("K")


class InvalidCursor(ValueError):
    pass


def encode_cursor(key: int | str, item_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([key, item_id])).decode()


def decode_cursor(cursor: str, read_key: Callable[[object], K]) -> tuple[K, str]:
    """The position ``encode_cursor`` wrote, its key read by ``read_key`` (which raises
    ``ValueError`` or ``TypeError`` for a key it does not take)."""
    try:
        key, item_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(item_id, str):
            raise InvalidCursor("invalid cursor")
        return read_key(key), item_id
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("invalid cursor") from exc


def after(
    query: dict[str, Any], field: str, key: object, item_id: str, *, descending: bool
) -> dict[str, Any]:
    """``query`` narrowed to the items sorted after the one at (``key``, ``item_id``) in
    (``field``, ``_id``) order."""
    past = "$lt" if descending else "$gt"
    later = [{field: {past: key}}, {field: key, "_id": {past: item_id}}]
    return {"$and": [query, {"$or": later}]}
