"""What the routers and pages are given: the objects ``main.bootstrap`` put on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runtime.staff_pages import StaffPages
from services.feedback.incidents_reader import IncidentsReader
from services.feedback.pages.traveller import Pages
from services.feedback.service import Feedback


def get_feedback(request: Request) -> Feedback:
    feedback: Feedback = request.app.state.feedback
    return feedback


def get_pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def get_staff_pages(request: Request) -> StaffPages:
    staff_pages: StaffPages = request.app.state.staff_pages
    return staff_pages


def get_incidents(request: Request) -> IncidentsReader:
    incidents: IncidentsReader = request.app.state.incidents
    return incidents


FeedbackDep = Annotated[Feedback, Depends(get_feedback)]
PagesDep = Annotated[Pages, Depends(get_pages)]
"""The traveller pages (survey and appeal forms, notices)."""
StaffPagesDep = Annotated[StaffPages, Depends(get_staff_pages)]
"""The dashboard's page set (and through it the staff session)."""
IncidentsDep = Annotated[IncidentsReader, Depends(get_incidents)]
