"""Tokens and keys: JWT with a key id, rotation, separate rings, the production guard,
and refusals (never a crash) for whatever a caller sends instead of a token or signature."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from runtime import webhook_signature
from runtime.settings import DEV_LINK_KEYS, DEV_SECRETS_KEY, DEV_STAFF_KEYS, Settings
from runtime.signing import Signer, TokenError, TokenExpired, TokenWrongPurpose
from services.intake.config import IntakeSettings
from tests.factories import T0

ROOT = Path(__file__).resolve().parents[2]
OLD = {"2026-01": "the-january-staff-key-0123456789abcdef"}
NEW = {"2026-06": "the-june-staff-key-0123456789abcdef0123"}
LATER = T0 + timedelta(hours=1)


def staff_token(signer: Signer, purpose: str = "staff") -> str:
    return signer.sign(
        subject="agent-7", tenant="acme", purpose=purpose, expires_at=LATER, role="agent"
    )


def header_of(token: str) -> dict[str, object]:
    return dict(jwt.get_unverified_header(token))


# ------------------------------------------------------------------ format and rotation


def test_a_token_is_a_jwt_naming_its_key_and_its_purpose() -> None:
    token = staff_token(Signer(NEW))
    assert header_of(token) == {"alg": "HS256", "kid": "2026-06", "typ": "JWT"}
    claims = jwt.decode(
        token, NEW["2026-06"], algorithms=["HS256"], audience="staff", options={"verify_exp": False}
    )
    assert (claims["sub"], claims["tenant"], claims["role"]) == ("agent-7", "acme", "agent")


def test_after_rotation_the_new_key_signs_and_tokens_of_the_old_key_still_verify() -> None:
    before = staff_token(Signer(OLD))
    rotated = Signer({**NEW, **OLD})
    after = staff_token(rotated)
    assert header_of(after)["kid"] == "2026-06"
    assert rotated.verify(before, purpose="staff", now=T0).sub == "agent-7"
    assert rotated.verify(after, purpose="staff", now=T0).sub == "agent-7"


def test_a_key_dropped_from_the_ring_verifies_nothing_any_more() -> None:
    before = staff_token(Signer(OLD))
    with pytest.raises(TokenError, match="unknown signing key"):
        Signer(NEW).verify(before, purpose="staff", now=T0)


def test_a_forged_kid_does_not_borrow_another_key() -> None:
    forged = jwt.encode(
        {"iss": "tripcare", "aud": "staff", "sub": "x", "tenant": "acme", "exp": 2**40},
        "attacker-key-0123456789abcdef0123456",
        headers={"kid": "2026-06"},
    )
    with pytest.raises(TokenError, match="invalid signature"):
        Signer(NEW).verify(forged, purpose="staff", now=T0)


def test_alg_none_and_other_algorithms_are_refused() -> None:
    unsigned = jwt.encode(
        {"iss": "tripcare", "aud": "staff", "sub": "x", "tenant": "acme", "exp": 2**40},
        None,
        algorithm="none",
        headers={"kid": "2026-06"},
    )
    with pytest.raises(TokenError):
        Signer(NEW).verify(unsigned, purpose="staff", now=T0)


def test_a_token_for_one_purpose_opens_no_other_and_expires() -> None:
    signer = Signer(NEW)
    with pytest.raises(TokenWrongPurpose, match="wrong purpose"):
        signer.verify(staff_token(signer, "track"), purpose="staff", now=T0)
    with pytest.raises(TokenExpired):
        signer.verify(staff_token(signer), purpose="staff", now=LATER + timedelta(seconds=1))


def test_keys_shorter_than_the_hash_are_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 32 bytes"):
        Signer({"k": "too-short"})


# ------------------------------------------------------------------ whatever comes instead


def segment(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


GOOD = staff_token(Signer(NEW))
BODY, SIGNATURE = GOOD.split(".")[1:]


@pytest.mark.parametrize(
    "token",
    [
        GOOD + "ü",
        GOOD[:-3] + "üü",
        GOOD.replace(".", ".ü", 1),
        "abc.ü",
        "ü.ü.ü",
        "\ud800.x.y",
        "",
        ".",
        "..",
        "a" * 10_000,
        f"{segment([1, 2])}.{BODY}.{SIGNATURE}",
        f"{segment({'kid': ['2026-06'], 'alg': 'HS256'})}.{BODY}.{SIGNATURE}",
        f"{segment({'kid': {'a': 1}, 'alg': 'HS256'})}.{BODY}.{SIGNATURE}",
        f"{segment({'kid': '2026-06', 'alg': 'HS256'})}.{'9' * 5000}.{SIGNATURE}",
        "e30." + "9" * 5000 + ".x",
    ],
)
def test_anything_else_than_a_genuine_token_is_a_token_error(token: str) -> None:
    with pytest.raises(TokenError):
        Signer(NEW).verify(token, purpose="staff", now=T0)


@given(st.text(max_size=300))
def test_no_text_whatever_crashes_verification(token: str) -> None:
    with pytest.raises(TokenError):
        Signer(NEW).verify(token, purpose="staff", now=T0)


@given(st.integers(0, len(GOOD) - 1), st.characters())
def test_no_single_character_changed_in_a_token_crashes_verification(at: int, char: str) -> None:
    changed = GOOD[:at] + char + GOOD[at + 1 :]
    if changed == GOOD:
        return
    with contextlib.suppress(TokenError):
        Signer(NEW).verify(changed, purpose="staff", now=T0)


@pytest.mark.parametrize(
    "header",
    [
        "t=1700000000,v1=ü",
        "t=1700000000,v1=" + "ü" * 64,
        "t=" + "9" * 5000 + ",v1=" + "a" * 64,
        "t=²,v1=" + "a" * 64,
        "t=١٧٠٠٠٠٠٠٠٠,v1=" + "a" * 64,
        "t=1700000000,v1=" + "g" * 64,
        "t=1700000000",
        "v1=" + "a" * 64,
        ",,,=,=",
    ],
)
def test_a_malformed_webhook_signature_is_refused_as_malformed(header: str) -> None:
    with pytest.raises(webhook_signature.MalformedSignature):
        webhook_signature.verify(header, b"{}", ["partner-secret"], T0)


def test_a_well_formed_signature_still_verifies() -> None:
    at = int(T0.timestamp())
    header = webhook_signature.sign("partner-secret", at, b"{}")
    assert webhook_signature.verify(header, b"{}", ["partner-secret"], T0) == at


# ------------------------------------------------------------------ settings


STAFF = json.dumps({"s1": "a-real-staff-key-0123456789abcdef0123"})
LINKS = json.dumps({"l1": "a-real-link-key-0123456789abcdef01234"})


def test_development_runs_on_the_public_development_keys_one_per_ring() -> None:
    settings = Settings(_env_file=None)
    assert settings.env == "development"
    assert settings.staff_ring() == DEV_STAFF_KEYS
    assert settings.link_ring() == DEV_LINK_KEYS
    assert set(DEV_STAFF_KEYS.values()).isdisjoint(DEV_LINK_KEYS.values())


@pytest.mark.parametrize(
    ("environment", "refusal"),
    [
        ({}, "TRIPCARE_STAFF_KEYS"),
        ({"TRIPCARE_STAFF_KEYS": STAFF}, "TRIPCARE_LINK_KEYS"),
        ({"TRIPCARE_LINK_KEYS": LINKS}, "TRIPCARE_STAFF_KEYS"),
        ({"TRIPCARE_STAFF_KEYS": STAFF, "TRIPCARE_LINK_KEYS": STAFF}, "must differ"),
        ({"TRIPCARE_STAFF_KEYS": '{"s1": "short"}', "TRIPCARE_LINK_KEYS": LINKS}, "32 bytes"),
        ({"TRIPCARE_STAFF_KEYS": '{"bad kid!": "x"}', "TRIPCARE_LINK_KEYS": LINKS}, "key id"),
        (
            {"TRIPCARE_STAFF_KEYS": STAFF, "TRIPCARE_LINK_KEYS": LINKS, "TRIPCARE_DEV_LOGIN": "1"},
            "TRIPCARE_DEV_LOGIN",
        ),
    ],
)
def test_production_refuses_to_start_with_development_short_shared_keys_or_dev_login(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], refusal: str
) -> None:
    monkeypatch.setenv("TRIPCARE_ENV", "production")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=refusal):
        Settings()


def test_production_starts_with_its_own_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TRIPCARE_ENV": "production",
        "TRIPCARE_STAFF_KEYS": STAFF,
        "TRIPCARE_LINK_KEYS": LINKS,
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (settings.development, list(settings.staff_ring())) == (False, ["s1"])


def mint(**environment: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runtime.auth", "--sub", "ops-1", "--role", "admin"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIPCARE_")}
    return subprocess.run(
        [*command, "--tenant", "acme"],
        cwd=ROOT,
        env={**clean, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_token_command_works_locally_and_refuses_production_without_its_keys() -> None:
    local = mint()
    assert local.returncode == 0, local.stderr
    assert Signer(DEV_STAFF_KEYS).verify(local.stdout.strip(), purpose="staff", now=T0)
    refused = mint(TRIPCARE_ENV="production")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert "TRIPCARE_STAFF_KEYS" in refused.stderr
    real = mint(TRIPCARE_ENV="production", TRIPCARE_STAFF_KEYS=STAFF, TRIPCARE_LINK_KEYS=LINKS)
    staff = Signer(json.loads(STAFF))
    assert staff.verify(real.stdout.strip(), purpose="staff", now=T0).role == "admin"


def test_production_intake_refuses_to_start_without_the_key_of_its_stored_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "TRIPCARE_ENV": "production",
        "TRIPCARE_STAFF_KEYS": STAFF,
        "TRIPCARE_LINK_KEYS": LINKS,
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="TRIPCARE_SECRETS_KEY"):
        IntakeSettings()
    monkeypatch.setenv("TRIPCARE_SECRETS_KEY", DEV_SECRETS_KEY)
    with pytest.raises(ValidationError, match="TRIPCARE_SECRETS_KEY"):
        IntakeSettings()
    monkeypatch.setenv("TRIPCARE_SECRETS_KEY", "YS1yZWFsLXNlY3JldHMta2V5LTAxMjM0NTY3ODlhYmM=")
    assert IntakeSettings().secrets_box_key().startswith("YS1yZWFs")
