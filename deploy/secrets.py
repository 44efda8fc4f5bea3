"""The Secrets a cluster overlay references, with fresh random values, as manifests.

``python -m deploy.secrets --namespace tripcare-dev | kubectl create -f -`` (or
``make deploy-secrets NAMESPACE=tripcare-dev``)

No overlay commits a secret value (``make deploy-check`` fails on one): anyone with the
repository could otherwise mint staff tokens for a cluster that runs as production. The dev
cluster gets its Secrets from here, once; production from the secret manager, with the same
names and keys. ``kubectl create`` refuses to overwrite an existing Secret: to start over,
delete all of them, because the broker and store passwords must match across them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

APP = "tripcare-app"
BROKER_MANAGEMENT = "rabbitmq-management"
STORE_PASSWORD = "tripcare-mongodb-password"
BROKER_USERS = "tripcare-rabbitmq-users"
"""``users.json``: RabbitMQ definitions of the user, loaded at boot beside the topology."""
NAMES = (APP, BROKER_MANAGEMENT, STORE_PASSWORD, BROKER_USERS)
COMPOSE_USERS = Path(__file__).resolve().parent / "rabbitmq" / "users.json"
BROKER = "tripcare-rabbitmq"
BROKER_USER = "tripcare"
STORE = "tripcare-mongodb"
STORE_USER = "tripcare"


def _password() -> str:
    return secrets.token_urlsafe(32)


def _ring(purpose: str) -> str:
    """A one-key ring ``{kid: secret}``; the kid names the month, so a rotation adds a new one."""
    kid = f"{datetime.now(UTC):%Y-%m}-{purpose}"
    return json.dumps({kid: secrets.token_urlsafe(48)})


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password)),
    a 4-byte salt; the Secret then holds no password in clear."""
    salt = secrets.token_bytes(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def broker_users(password: str) -> str:
    """Compose's users and permissions (deploy/rabbitmq/users.json) with this password.

    The vhost is declared here too, so the permissions import even before the topology file."""
    users = json.loads(COMPOSE_USERS.read_text())
    for user in users["users"]:
        user["password_hash"] = password_hash(password)
    vhosts = sorted({p["vhost"] for p in users["permissions"]})
    return json.dumps({"vhosts": [{"name": v} for v in vhosts], **users}, indent=2)


def _secret(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "stringData": data,
    }


def generate(namespace: str) -> list[dict[str, Any]]:
    """One Secret per name in NAMES, the passwords shared where two of them must agree."""
    broker, store = _password(), _password()
    mongo = (
        f"mongodb://{STORE_USER}:{store}@{STORE}-svc:27017/?replicaSet={STORE}"
        "&authSource=admin&w=majority&retryWrites=true"
    )
    app = {
        "AMQP_URL": f"amqp://{BROKER_USER}:{broker}@{BROKER}:5672/",
        "MONGO_URL": mongo,
        "TRIPCARE_STAFF_KEYS": _ring("staff"),
        "TRIPCARE_LINK_KEYS": _ring("links"),
        "TRIPCARE_SECRETS_KEY": Fernet.generate_key().decode(),
    }
    return [
        _secret(APP, namespace, app),
        _secret(
            BROKER_MANAGEMENT, namespace, {"host": f"http://{BROKER_USER}:{broker}@{BROKER}:15672/"}
        ),
        _secret(STORE_PASSWORD, namespace, {"password": store}),
        _secret(BROKER_USERS, namespace, {"users.json": broker_users(broker)}),
    ]


def render(namespace: str) -> str:
    return yaml.safe_dump_all(generate(namespace), sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--namespace", required=True, help="the overlay's namespace")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.namespace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
