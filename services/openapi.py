"""Write each service's OpenAPI document to a folder: ``python -m services.openapi docs/openapi``.

Building an app connects to nothing, so this runs without a broker or store.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from services.feedback.main import bootstrap as feedback
from services.intake.main import bootstrap as intake
from services.notify.main import bootstrap as notify
from services.routing.main import bootstrap as routing


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    apps: dict[str, Callable[[], FastAPI]] = {
        "intake": intake,
        "routing": routing,
        "notify": notify,
        "feedback": feedback,
    }
    for name, bootstrap in apps.items():
        document = bootstrap().openapi()
        (out / f"{name}.json").write_text(
            json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )
    print(f"wrote four OpenAPI documents to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi"))
