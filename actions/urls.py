from django.urls import path

from . import audit_views, impact_views, views

urlpatterns = [
    path("audits/<int:pk>/", audit_views.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/impact/", impact_views.impact_page, name="impact"),
    path("audits/<int:pk>/comparison/", impact_views.comparison, name="comparison"),
    path("audits/<int:pk>/comparison.pdf", impact_views.comparison_pdf, name="comparison_pdf"),
    path("audits/<int:pk>/package.json", views.audit_package, name="audit_package"),
    path("audits/import/", views.audit_import, name="audit_import"),
    path(
        "audits/import/<int:import_id>/",
        views.audit_import_progress,
        name="audit_import_progress",
    ),
    path("audits/<int:pk>/actions/", views.audit_actions, name="audit_actions"),
    path("audits/<int:pk>/actions/new/", views.action_create, name="action_create"),
    path("actions/", views.action_plan, name="action_plan"),
    path("actions/mine/", views.my_actions, name="my_actions"),
    path("actions/export.<str:fmt>", views.action_plan_export, name="action_plan_export"),
    path("actions/<int:action_id>/", views.action_detail, name="action_detail"),
    path("actions/<int:action_id>/edit/", views.action_edit, name="action_edit"),
    path("actions/<int:action_id>/complete/", views.action_complete, name="action_complete"),
    path("actions/<int:action_id>/cancel/", views.action_cancel, name="action_cancel"),
    path("actions/<int:action_id>/reopen/", views.action_reopen, name="action_reopen"),
    path(
        "actions/<int:action_id>/evidence/",
        views.action_evidence_upload,
        name="action_evidence_upload",
    ),
    path(
        "actions/<int:action_id>/evidence/<int:evidence_id>/",
        views.action_evidence_download,
        name="action_evidence_download",
    ),
]
