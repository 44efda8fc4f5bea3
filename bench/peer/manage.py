"""Django's command line for the peer project (run it with the peer's own interpreter)."""

import os
import sys

from django.core.management import execute_from_command_line

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
    execute_from_command_line(sys.argv)
