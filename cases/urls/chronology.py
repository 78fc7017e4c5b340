"""Chronologies: the case page, each agency's chronology for a case, the integrated chronology."""

from django.urls import path

from cases.views import chronology as views

AGENCY = "audits/<int:pk>/cases/<int:case_id>/agencies/<int:agency_id>/chronology/"

urlpatterns = [
    path("audits/<int:pk>/cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path(AGENCY, views.agency_chronology, name="agency_chronology"),
    path(f"{AGENCY}document/", views.chronology_file_upload, name="chronology_file_upload"),
    path(f"{AGENCY}rows/import/", views.chronology_rows_import, name="chronology_rows_import"),
    path(f"{AGENCY}rows/", views.chronology_entry_add, name="chronology_entry_add"),
    path(
        f"{AGENCY}rows/<int:entry_id>/",
        views.chronology_entry_edit,
        name="chronology_entry_edit",
    ),
    path(
        f"{AGENCY}rows/<int:entry_id>/delete/",
        views.chronology_entry_delete,
        name="chronology_entry_delete",
    ),
    path(
        "audits/<int:pk>/chronology-files/<int:file_id>/",
        views.chronology_file_download,
        name="chronology_file_download",
    ),
    path(
        "audits/<int:pk>/chronology-template.<str:fmt>",
        views.chronology_template,
        name="chronology_template",
    ),
    path(
        "audits/<int:pk>/cases/<int:case_id>/chronology/",
        views.integrated_chronology,
        name="integrated_chronology",
    ),
]
