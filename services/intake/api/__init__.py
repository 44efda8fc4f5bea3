"""Intake's HTTP API: one router per resource, in the order they are mounted."""

from fastapi import APIRouter

from services.intake.api import (
    actions,
    attachments,
    channel_configs,
    contacts,
    gateway_keys,
    incidents,
    mailboxes,
    tickets,
    tracking,
)
from services.intake.api.callbacks import dingtalk, wechat, wecom

ROUTERS: list[APIRouter] = [
    contacts.router,
    tickets.router,
    actions.router,
    tracking.router,
    gateway_keys.router,
    incidents.router,
    attachments.router,
    mailboxes.router,
    channel_configs.router,
    wechat.router,
    wecom.router,
    dingtalk.router,
]
