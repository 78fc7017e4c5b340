from django.urls import path

from . import views

urlpatterns = [
    path("documents/<int:document_id>/", views.own_document_progress, name="own_document_progress"),
    path(
        "documents/<int:document_id>/download/",
        views.own_document_download,
        name="own_document_download",
    ),
    path(
        "audits/<int:pk>/cases/<int:case_id>/chronology.pdf",
        views.integrated_chronology_pdf,
        name="integrated_chronology_pdf",
    ),
    path("actions/plan.pdf", views.action_plan_pdf, name="action_plan_pdf"),
    path("audits/<int:pk>/case-pack.pdf", views.case_pack_pdf, name="case_pack_pdf"),
    path("audits/<int:pk>/briefing-draft.pdf", views.draft_briefing_pdf, name="draft_briefing_pdf"),
    path(
        "audits/<int:pk>/documents/<int:document_id>/",
        views.document_progress,
        name="document_progress",
    ),
    path(
        "audits/<int:pk>/documents/<int:document_id>/download/",
        views.document_download,
        name="document_download",
    ),
]
