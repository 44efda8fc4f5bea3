"""``TRIPCARE_SUPPLIER_PARTNERS`` names partners the ingress can hear, with secrets that sign.

It took any JSON keys and strings: a blank secret (``""``, a template left unfilled) made
every request signed with the empty key verify — anyone could push a cancellation for any
flight — and a partner named as the path can never name it (``CA``, ``China Eastern``) was
answered "unknown partner" at ``/v1/suppliers/ca/events`` and a 422 at its own spelling,
while routing started as if all were well. Both now stop routing at start, naming the
variable.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.routing.care.domain.suppliers import SupplierSettings
from services.routing.config import RoutingSettings


@pytest.mark.parametrize(
    ("partners", "words"),
    [
        ('{"ca": {"secrets": [""]}}', "at least 1 character"),
        ('{"ca": {"secrets": ["   "]}}', "visible characters"),
        ('{"ca": {"secrets": ["new", ""]}}', "at least 1 character"),
        ('{"CA": {"secrets": ["partner-secret"]}}', "lower-case letters"),
        ('{"China Eastern": {"secrets": ["partner-secret"]}}', "lower-case letters"),
    ],
)
def test_a_partner_no_request_could_reach_or_any_request_could_sign_for_stops_routing(
    monkeypatch: pytest.MonkeyPatch, partners: str, words: str
) -> None:
    monkeypatch.setenv("TRIPCARE_SUPPLIER_PARTNERS", partners)
    with pytest.raises(ValidationError) as refused:
        RoutingSettings()
    message = str(refused.value)
    assert "TRIPCARE_SUPPLIER_PARTNERS" in message
    assert words in message


def test_partners_the_path_names_with_secrets_are_taken() -> None:
    settings = SupplierSettings.model_validate(
        {"partners": {"ca": {"secrets": ["new", "old"]}, "demo-air_2": {"secrets": ["s"]}}}
    )
    assert sorted(settings.partners) == ["ca", "demo-air_2"]
