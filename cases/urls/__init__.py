"""Audit pages (the audit's own page, which shows the action plan too, is routed by `actions`).
Each area of the audit's life keeps its routes in its own module here."""

from django.urls import path

from cases.views import audit

from . import chronology, partnership, reaudit, retention, setup, tool

urlpatterns = [
    path("", audit.home, name="home"),
    *setup.urlpatterns,
    *chronology.urlpatterns,
    *tool.urlpatterns,
    *retention.urlpatterns,
    *reaudit.urlpatterns,
    *partnership.urlpatterns,
]
