"""Routes for setting an audit up, its members, nominations, selection and stages."""

from django.urls import path

from cases.views import setup

urlpatterns = [
    path("audits/new/", setup.audit_create, name="audit_create"),
    path("audits/<int:pk>/edit/", setup.audit_edit, name="audit_edit"),
    path("audits/<int:pk>/stage/", setup.audit_stage, name="audit_stage"),
    path("audits/<int:pk>/members/", setup.audit_members, name="audit_members"),
    path(
        "audits/<int:pk>/members/<int:membership_id>/remove/",
        setup.audit_member_remove,
        name="audit_member_remove",
    ),
    path(
        "audits/<int:pk>/members/invitations/<int:invitation_id>/withdraw/",
        setup.audit_invitation_withdraw,
        name="audit_invitation_withdraw",
    ),
    path("audits/<int:pk>/nominations/", setup.nomination_list, name="nomination_list"),
    path("audits/<int:pk>/nominations/new/", setup.nomination_create, name="nomination_create"),
    path(
        "audits/<int:pk>/nominations/<int:nomination_id>/",
        setup.nomination_edit,
        name="nomination_edit",
    ),
    path(
        "audits/<int:pk>/nominations/<int:nomination_id>/identifiers/",
        setup.nomination_identifiers,
        name="nomination_identifiers",
    ),
    path(
        "audits/<int:pk>/nominations/<int:nomination_id>/decline/",
        setup.nomination_decline,
        name="nomination_decline",
    ),
    path("audits/<int:pk>/selection/", setup.selection, name="selection"),
    path("audits/<int:pk>/selection/draw/", setup.selection_draw, name="selection_draw"),
    path("audits/<int:pk>/cases/labels/", setup.case_labels, name="case_labels"),
    path("audits/<int:pk>/selection/confirm/", setup.selection_confirm, name="selection_confirm"),
]
