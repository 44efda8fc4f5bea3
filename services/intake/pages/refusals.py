"""What a refused console action says, in the reader's words: each refusal's code
(``contracts.refusals.Reason``) looked up as ``refusal_<code>`` in the console's table.

The APIs answer the same refusals in English; the console shares their codes, not their
text, so a zh-Hant desk never reads "a routed ticket cannot resume". A code the table does
not know is said in English (its text), as before. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts.refusals import Reason
from services.intake.domain import IllegalTransition, NotTheReviewer
from services.intake.service import FilesRefused
from services.intake.transfers import TransferRefused

PREFIX = "refusal_"
NOT_STORED = Reason("files_not_stored", "files are not stored by this intake")


def say(reason: str, words: Mapping[str, str], **extra: str) -> str:
    """``reason`` in ``words``: its code's template filled with its params, each named by
    the table's own word where it has one (``status_routed`` for status ``routed``)."""
    if not isinstance(reason, Reason) or (template := words.get(PREFIX + reason.code)) is None:
        return str(reason)
    values = {
        name: words.get(f"{name}_{value}", str(value))
        for name, value in {**reason.params, **extra}.items()
    }
    return template.format_map(values)


def refusal_text(exc: Exception, words: Mapping[str, str], action: str) -> str:
    """What the console says of ``exc``, refused while doing ``action`` (reply, …)."""
    if isinstance(exc, IllegalTransition | NotTheReviewer):
        return say(exc.reason, words, action=words.get(f"action_{action}", action))
    if isinstance(exc, TransferRefused):
        return "; ".join(f"{field}: {say(why, words)}" for field, why in exc.problems)
    if isinstance(exc, FilesRefused):
        named = [f"{c.name}: {say(c.reason or '', words)}" for c in exc.refused]
        return "; ".join(named) or say(NOT_STORED, words)
    return str(exc)
