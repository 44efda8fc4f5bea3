"""Make a fresh database ready for the bench; prints ``{"token": …, "queue": …}`` as JSON.

Migrates, then creates the one staff account the gateway posts as (the ticket API is for
staff: ``IsAdminUser``), its DRF token and the one queue. Run with the peer's interpreter.
"""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    call_command("migrate", interactive=False, verbosity=0)
    user = get_user_model().objects.create_superuser("gateway", "gateway@peer.example.com")
    token = Token.objects.create(user=user)
    queue = Queue.objects.create(
        title="Travel support",
        slug="support",
        email_address="support@peer.example.com",
    )
    print(json.dumps({"token": token.key, "queue": queue.id}))


if __name__ == "__main__":
    main()
