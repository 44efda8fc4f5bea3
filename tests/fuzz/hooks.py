"""schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``): sign supplier events.

The supplier ingress answers 401 to anything unsigned, so without this the fuzzer
would never reach its body parsing. Each generated body is serialised here once,
sent as those exact bytes, and signed with the shared stack's partner secret
(``FUZZ_PARTNER`` / ``FUZZ_PARTNER_SECRET``), as a real partner would.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import schemathesis
from schemathesis.core import NotSet

from runtime import webhook_signature

SUPPLIER_EVENTS = "/v1/suppliers/{partner}/events"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.operation.path != SUPPLIER_EVENTS:
        return
    partner, secret = os.environ.get("FUZZ_PARTNER"), os.environ.get("FUZZ_PARTNER_SECRET")
    if not (partner and secret):
        return
    body = case.body
    if isinstance(body, NotSet):
        body = b""
    elif not isinstance(body, bytes):
        body = json.dumps(body).encode()
    case.body = body
    case.path_parameters = {**(case.path_parameters or {}), "partner": partner}
    case.headers = {
        **(case.headers or {}),
        webhook_signature.HEADER: webhook_signature.sign(secret, int(time.time()), body),
    }
