"""Feedback's HTTP API: one router per resource, in the order they are mounted."""

from fastapi import APIRouter

from services.feedback.api import admin, appeals, metrics, reports, surveys

ROUTERS: list[APIRouter] = [
    surveys.router,
    appeals.router,
    metrics.router,
    reports.router,
    admin.router,
]
