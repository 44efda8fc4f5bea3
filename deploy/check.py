"""Offline validation of everything under deploy/ (`make deploy-check`).

- Kubernetes: each overlay is rendered with ``kubectl kustomize`` (Kustomize built into
  kubectl, no cluster needed); built-in kinds are validated against the Kubernetes
  ``KUBERNETES_VERSION`` OpenAPI schemas bundled in the ``kubernetes-validate`` package, strict
  (unknown fields fail); operator kinds against the CRD subsets vendored in
  ``deploy/schemas/crds``. Then the rules a schema cannot express: probes wired to
  ``/readyz`` and ``/healthz``, requests and limits, a shutdown budget longer than the
  service's own, one PodDisruptionBudget and one ScaledObject per Deployment, memory at
  least what a service was measured to use (``MEMORY_FLOORS``), a startupProbe that outlasts
  ``TRIPCARE_STARTUP_RETRY_S`` and the start (``deploy/startup_check.py``); and the public
  Ingress: every operation the four OpenAPI documents (``docs/openapi``) tag ``travellers``,
  ``gateways``, ``channel callbacks`` or ``partners`` is routed to its own service by
  Kubernetes' matching rules (Exact, then the longest Prefix), its pods are open to the
  ingress controller, and nothing else is routed that answers without a staff token (no
  ``/metrics``, no ``/healthz``). No secret value in an overlay (``secret_errors``), and every
  Secret referenced is one ``python -m deploy.secrets`` makes. The RabbitmqCluster loads the
  topology and the user compose's broker loads (``deploy/broker_check.py``).
- Compose: ``deploy/compose.yaml`` against the vendored compose-spec JSON Schema, and every
  file it mounts exists.
- RabbitMQ definitions: each entry of ``deploy/rabbitmq/definitions.json`` is declared by the code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from deploy import definitions, secrets
from deploy.broker_check import broker_errors
from deploy.startup_check import SETTINGS, startup_errors
from runtime.auth import STAFF_TOKEN

DEPLOY = Path(__file__).resolve().parent
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.32"
CRD_SCHEMAS = DEPLOY / "schemas" / "crds"
COMPOSE_SCHEMA = DEPLOY / "schemas" / "compose-spec.json"
PRESTOP_S = 5
"""The Deployments' preStop sleep, so endpoints are removed before uvicorn stops accepting."""
CLOSE_S = 5
"""Relay drain and store close after the broker has stopped."""
OPENAPI = DEPLOY.parent / "docs" / "openapi"
SERVICES = ("intake", "routing", "notify", "feedback")
PUBLIC_TAGS = frozenset({"travellers", "gateways", "channel callbacks", "partners"})
"""Operations called from outside the desk: travellers' links, gateways, the messaging
platforms' callbacks, partners."""
PUBLIC_LABEL = "tripcare.io/public"
MI = 2**20
MEMORY_FLOORS = {"routing": (700 * MI, 1024 * MI)}
"""Memory request and limit floors per Deployment: routing's RSS measured 528–534 MB over a
ten-minute soak and 647 MB after ~900 tickets (docs/operations.md, *Memory*)."""
SECRET_KEYS = frozenset(
    {"AMQP_URL", "MONGO_URL", "TRIPCARE_STAFF_KEYS", "TRIPCARE_LINK_KEYS", "TRIPCARE_SECRETS_KEY"}
    | {"TRIPCARE_NOTIFY_SMTP_PASSWORD", "TRIPCARE_NOTIFY_GATEWAYS"}
)
"""Settings that hold a key or a password: only ever in a Secret made outside the repository."""
URL_CREDENTIALS = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
}


def render(overlay: str) -> list[dict[str, Any]]:
    """The overlay's manifests, as ``kubectl apply -k`` would send them."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl (with built-in kustomize) is needed: apt-get install kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def crd_schema(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The vendored schema of an operator kind, or None for a built-in kind."""
    group_version = str(doc["apiVersion"]).replace("/", "-")
    path = CRD_SCHEMAS / f"{str(doc['kind']).lower()}-{group_version}.json"
    if not path.exists():
        return None
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def schema_errors(doc: dict[str, Any]) -> list[str]:
    schema = crd_schema(doc)
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{list(exc.absolute_path)}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for {doc['apiVersion']} {doc['kind']}"]
    return []


def policy_errors(docs: list[dict[str, Any]]) -> list[str]:
    """The operational rules of docs/operations.md that a schema cannot check."""
    errors: list[str] = []
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    config = {n: c for n, c in by_kind.get("ConfigMap", {}).items() if n.startswith(SETTINGS)}
    if any(c["data"].get("TRIPCARE_ENV") != "production" for c in config.values()):
        errors.append("ConfigMap: TRIPCARE_ENV must be production (development keys refused)")
    graceful = max(float(c["data"].get("TRIPCARE_GRACEFUL_TIMEOUT_S", 15)) for c in config.values())
    scaled = {s["spec"]["scaleTargetRef"]["name"] for s in by_kind.get("ScaledObject", {}).values()}
    budgets = {
        p["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name")
        for p in by_kind.get("PodDisruptionBudget", {}).values()
    }
    for name, deployment in by_kind.get("Deployment", {}).items():
        pod = deployment["spec"]["template"]["spec"]
        needed = PRESTOP_S + 2 * graceful + CLOSE_S
        if pod.get("terminationGracePeriodSeconds", 30) <= needed:
            errors.append(f"Deployment {name}: terminationGracePeriodSeconds <= {needed:g}")
        for container in pod["containers"]:
            errors += _container_errors(name, container)
            errors += _memory_errors(name, container)
        if name not in scaled:
            errors.append(f"Deployment {name}: no ScaledObject")
        if name not in budgets:
            errors.append(f"Deployment {name}: no PodDisruptionBudget")
    return errors


def _container_errors(deployment: str, container: dict[str, Any]) -> list[str]:
    """Probes on the paths the services answer, cpu and memory requests and limits."""
    errors: list[str] = []
    probes = {
        "readinessProbe": "/readyz",
        "livenessProbe": "/healthz",
    }
    for probe, path in probes.items():
        if container.get(probe, {}).get("httpGet", {}).get("path") != path:
            errors.append(f"Deployment {deployment}: {probe} must GET {path}")
    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(resources.get(bound, {})):
            errors.append(f"Deployment {deployment}: cpu and memory {bound} needed")
    return errors


def quantity_bytes(quantity: str | int) -> float:
    """A Kubernetes memory quantity (``768Mi``, ``1.5Gi``, ``700M``, ``512``) in bytes."""
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(quantity))
    if match is None or match[2] not in {"", *UNITS}:
        raise ValueError(f"not a memory quantity: {quantity}")
    return float(match[1]) * UNITS.get(match[2], 1)


def _memory_errors(deployment: str, container: dict[str, Any]) -> list[str]:
    """Requests and limits below what the service was measured to use (MEMORY_FLOORS)."""
    if deployment not in MEMORY_FLOORS:
        return []
    errors = []
    resources = container.get("resources", {})
    for bound, floor in zip(("request", "limit"), MEMORY_FLOORS[deployment], strict=True):
        value = resources.get(f"{bound}s", {}).get("memory", 0)
        if quantity_bytes(value) < floor:
            errors.append(
                f"Deployment {deployment}: memory {bound} {value} below {floor / MI:g}Mi "
                "(measured RSS, docs/operations.md)"
            )
    return errors


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    public: bool
    staff: bool
    """Takes a staff bearer token (its security requirement names the staff token)."""

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.service})"


def operations(folder: Path = OPENAPI) -> list[Operation]:
    found = []
    for service in SERVICES:
        document = json.loads((folder / f"{service}.json").read_text())
        for path, methods in document["paths"].items():
            for method, operation in methods.items():
                found.append(
                    Operation(
                        service,
                        method,
                        path,
                        public=bool(PUBLIC_TAGS & set(operation.get("tags", []))),
                        staff=any(
                            STAFF_TOKEN.name in requirement
                            for requirement in operation.get("security", [])
                        ),
                    )
                )
    return found


def routed_to(paths: list[dict[str, Any]], request_path: str) -> str | None:
    """The backend service Kubernetes picks: an Exact match, else the longest Prefix match
    (element-wise: ``/v1/track`` matches ``/v1/track/x`` but not ``/v1/tracks``)."""
    best: tuple[int, int, str] | None = None
    for rule in paths:
        path, kind = rule["path"], rule.get("pathType", "Prefix")
        prefix = path.rstrip("/")
        if kind == "Exact":
            hit = request_path == path
        else:
            hit = request_path == prefix or request_path.startswith(prefix + "/")
        candidate = (len(prefix), int(kind == "Exact"), rule["backend"]["service"]["name"])
        if hit and (best is None or candidate[:2] > best[:2]):
            best = candidate
    return best[2] if best else None


def secret_errors(docs: list[dict[str, Any]]) -> list[str]:
    """Secret values committed in an overlay: a Secret (a secretGenerator or a manifest), or
    keys and credentials in a ConfigMap or a container's env. Anyone with the repository could
    sign staff tokens for a cluster that runs as production with them."""
    errors = []
    for doc in docs:
        name = doc["metadata"]["name"]
        if doc["kind"] == "Secret":
            errors.append(
                f"Secret {name}: committed values; create it with python -m deploy.secrets "
                "or the secret manager"
            )
        elif doc["kind"] == "ConfigMap":
            for key, value in doc.get("data", {}).items():
                if key in SECRET_KEYS or URL_CREDENTIALS.search(str(value)):
                    errors.append(f"ConfigMap {name}: {key} is a secret")
        elif doc["kind"] == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for env in container.get("env", []):
                    literal = env.get("value")
                    if literal is not None and (
                        env["name"] in SECRET_KEYS or URL_CREDENTIALS.search(str(literal))
                    ):
                        errors.append(f"Deployment {name}: env {env['name']} holds credentials")
    return errors


def referenced_secrets(docs: list[dict[str, Any]]) -> set[str]:
    """The Secrets the manifests read that are not the operators' own or the TLS certificate."""
    found: set[str] = set()
    for doc in docs:
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"]:
                found |= {
                    e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e
                }
            found |= {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
        elif doc["kind"] == "TriggerAuthentication":
            found |= {t["name"] for t in doc["spec"].get("secretTargetRef", [])}
        elif doc["kind"] == "MongoDBCommunity":
            found |= {u["passwordSecretRef"]["name"] for u in doc["spec"]["users"]}
    return found


def ingress_errors(docs: list[dict[str, Any]], folder: Path = OPENAPI) -> list[str]:
    """The public Ingress against the OpenAPI documents (see the module docstring)."""
    paths = [
        rule
        for doc in docs
        if doc["kind"] == "Ingress"
        for host in doc["spec"]["rules"]
        for rule in host["http"]["paths"]
    ]
    errors = []
    for operation in operations(folder):
        sample = re.sub(r"\{[^}]+\}", "x1", operation.path)
        service = routed_to(paths, sample)
        if operation.public and service != operation.service:
            errors.append(f"Ingress: {operation} is routed to {service or 'nothing'}")
        elif not operation.public and service is not None and not operation.staff:
            errors.append(f"Ingress: {operation} answers without a token and is routed")
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for backend in sorted({rule["backend"]["service"]["name"] for rule in paths}):
        labels = deployments.get(backend, {}).get("spec", {}).get("template", {})
        if labels.get("metadata", {}).get("labels", {}).get(PUBLIC_LABEL) != "true":
            errors.append(f'Ingress: {backend}\'s pods lack {PUBLIC_LABEL}: "true"')
    return errors


def check_kubernetes() -> list[str]:
    errors: list[str] = []
    for overlay in OVERLAYS:
        docs = render(overlay)
        for doc in docs:
            where = f"{overlay}: {doc['kind']}/{doc['metadata']['name']}"
            errors += [f"{where} {e}" for e in schema_errors(doc)]
        rules = policy_errors(docs) + ingress_errors(docs) + secret_errors(docs)
        rules += broker_errors(docs) + startup_errors(docs)
        missing = referenced_secrets(docs) - set(secrets.NAMES)
        rules += [
            f"Secret {name}: referenced, but python -m deploy.secrets makes none"
            for name in sorted(missing)
        ]
        errors += [f"{overlay}: {e}" for e in rules]
        print(f"k8s {overlay}: {len(docs)} manifests checked", file=sys.stderr)
    return errors


def check_compose() -> list[str]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)  # its "$schema" names no published draft
    errors = [
        f"compose {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)
    ]
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith(".") and not (DEPLOY / source).exists():
                errors.append(f"compose {name}: mounts missing {source}")
    print(f"compose: {len(compose['services'])} services checked", file=sys.stderr)
    return errors


def check_definitions() -> list[str]:
    """Committed queues must be declared exactly as the services declare them.

    A queue the file lacks is only a warning: the service declares it itself on start.
    A queue whose arguments differ, or that no service declares any more, is an error,
    because RabbitMQ refuses a declaration that differs from the existing queue.
    """
    committed = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    generated = definitions.definitions()
    errors: list[str] = []
    for kind in ("exchanges", "queues", "bindings", "policies"):
        have = [json.dumps(item, sort_keys=True) for item in committed[kind]]
        want = {json.dumps(item, sort_keys=True) for item in generated[kind]}
        errors += [
            f"definitions.json {kind}: the code declares no {i}" for i in have if i not in want
        ]
        missing = len(want - set(have))
        if missing:
            print(
                f"definitions.json lacks {missing} {kind}: make deploy-definitions", file=sys.stderr
            )
    return errors


def main() -> int:
    errors = check_kubernetes() + check_compose() + check_definitions()
    for error in errors:
        print(error, file=sys.stderr)
    print(f"deploy-check: {len(errors)} problems", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
