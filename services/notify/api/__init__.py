"""Notify's HTTP API: one router per resource — the in-app inbox, the delivery log."""

from services.notify.api import inbox, notifications

ROUTERS = [inbox.router, notifications.router]
