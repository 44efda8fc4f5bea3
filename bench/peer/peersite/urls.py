"""Only the helpdesk, at the path its documentation uses (``/helpdesk/api/tickets/``)."""

from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
