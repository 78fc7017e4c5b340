from django.urls import path

from . import seven_views, views

urlpatterns = [
    path("audits/<int:pk>/seven-minute/", seven_views.seven_minute, name="seven_minute"),
    path("audits/<int:pk>/seven-minute.pdf", seven_views.seven_minute_pdf, name="seven_minute_pdf"),
    path(
        "audits/<int:pk>/seven-minute.docx",
        seven_views.seven_minute_docx,
        name="seven_minute_docx",
    ),
    path(
        "audits/<int:pk>/seven-minute/edit/",
        seven_views.seven_minute_edit,
        name="seven_minute_edit",
    ),
    path(
        "audits/<int:pk>/seven-minute/draft/",
        seven_views.seven_minute_draft,
        name="seven_minute_draft",
    ),
    path(
        "audits/<int:pk>/briefing/versions/<int:number>/seven-minute/",
        seven_views.seven_minute_version,
        name="seven_minute_version",
    ),
    path(
        "audits/<int:pk>/briefing/versions/<int:number>/seven-minute.pdf",
        seven_views.seven_minute_version_pdf,
        name="seven_minute_version_pdf",
    ),
    path(
        "audits/<int:pk>/briefing/versions/<int:number>/seven-minute.docx",
        seven_views.seven_minute_version_docx,
        name="seven_minute_version_docx",
    ),
    path("audits/<int:pk>/usage/", seven_views.usage_page, name="usage"),
    path("audits/<int:pk>/usage.<str:fmt>", seven_views.usage_export, name="usage_export"),
    path(
        "audits/<int:pk>/usage/<int:usage_id>/edit/",
        seven_views.usage_edit,
        name="usage_edit",
    ),
    path(
        "audits/<int:pk>/usage/<int:usage_id>/delete/",
        seven_views.usage_delete,
        name="usage_delete",
    ),
    path("audits/<int:pk>/briefing/", views.briefing_html, name="briefing_html"),
    path("audits/<int:pk>/briefing.pdf", views.briefing_pdf, name="briefing_pdf"),
    path("audits/<int:pk>/briefing.docx", views.briefing_docx, name="briefing_docx"),
    path("audits/<int:pk>/briefing/publish/", views.briefing_publish, name="briefing_publish"),
    path(
        "audits/<int:pk>/briefing/publish/confirm/",
        views.briefing_confirm_text,
        name="briefing_confirm_text",
    ),
    path("audits/<int:pk>/briefing/versions/", views.briefing_versions, name="briefing_versions"),
    path("audits/<int:pk>/briefing/changes/", views.briefing_changes, name="briefing_changes"),
    path(
        "audits/<int:pk>/briefing/versions/<int:number>/",
        views.briefing_version,
        name="briefing_version",
    ),
    path(
        "audits/<int:pk>/briefing/versions/<int:number>.pdf",
        views.briefing_version_pdf,
        name="briefing_version_pdf",
    ),
    path(
        "audits/<int:pk>/briefing/versions/<int:number>.docx",
        views.briefing_version_docx,
        name="briefing_version_docx",
    ),
    path("audits/<int:pk>/meeting/", views.meeting, name="meeting"),
    path("audits/<int:pk>/findings/", views.authoring, name="authoring"),
    path("audits/<int:pk>/findings/layout/", views.briefing_layout, name="briefing_layout"),
    path("audits/<int:pk>/findings/tags/", views.tag_add, name="tag_add"),
    path("audits/<int:pk>/findings/<slug:kind>/new/", views.item_add, name="item_add"),
    path(
        "audits/<int:pk>/findings/<slug:kind>/<int:item_id>/",
        views.item_edit,
        name="item_edit",
    ),
    path(
        "audits/<int:pk>/findings/<slug:kind>/<int:item_id>/delete/",
        views.item_delete,
        name="item_delete",
    ),
    path(
        "audits/<int:pk>/findings/<slug:kind>/<int:item_id>/move/",
        views.item_move,
        name="item_move",
    ),
    path("audits/<int:pk>/case-pack/", views.case_pack, name="case_pack"),
]
