"""What the routers and pages are given: the objects ``main.bootstrap`` put on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from runtime.app_state import from_state
from runtime.staff_pages import StaffPages
from services.feedback.incidents_reader import IncidentsReader
from services.feedback.pages.traveller import Pages
from services.feedback.service import Feedback

FeedbackDep = Annotated[Feedback, Depends(from_state("feedback"))]
PagesDep = Annotated[Pages, Depends(from_state("pages"))]
"""The traveller pages (survey and appeal forms, notices)."""
StaffPagesDep = Annotated[StaffPages, Depends(from_state("staff_pages"))]
"""The dashboard's page set (and through it the staff session)."""
IncidentsDep = Annotated[IncidentsReader, Depends(from_state("incidents"))]
