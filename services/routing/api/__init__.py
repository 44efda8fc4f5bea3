"""Routing's HTTP API: one router per resource, in the order they are mounted.

Reads need a staff token; managing agents, queues and articles needs a manager (or
admin); the tenant's routing policy (VIP status, the bot switch) an admin. Handlers get
what ``main.bootstrap`` put on ``app.state`` through ``api.deps``.
"""

from fastapi import APIRouter

from services.routing.api import (
    agents,
    articles,
    bookings,
    cases,
    corrections,
    incidents,
    partners,
    policy,
    queues,
    sla_policies,
    suppliers,
    trips,
)

ROUTERS: list[APIRouter] = [
    cases.router,
    agents.router,
    queues.router,
    articles.router,
    policy.router,
    corrections.router,
    suppliers.router,
    trips.router,
    incidents.router,
    partners.router,
    bookings.router,
    sla_policies.router,
]
