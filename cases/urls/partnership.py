"""The partnership administrator's pages, and the partnership's logo."""

from django.urls import path

from cases.views import partnership as views

PARTNERSHIP = "partnerships/<int:partnership_id>/"

urlpatterns = [
    path("partnerships/", views.partnership_list, name="partnership_list"),
    path(f"{PARTNERSHIP}people/", views.partnership_people, name="partnership_people"),
    path(
        f"{PARTNERSHIP}people/<int:membership_id>/remove/",
        views.partnership_member_remove,
        name="partnership_member_remove",
    ),
    path(
        f"{PARTNERSHIP}invitations/<int:invitation_id>/withdraw/",
        views.partnership_invitation_withdraw,
        name="partnership_invitation_withdraw",
    ),
    path(f"{PARTNERSHIP}agencies/", views.partnership_agencies, name="partnership_agencies"),
    path(
        f"{PARTNERSHIP}agencies/<int:agency_id>/",
        views.partnership_agency_edit,
        name="partnership_agency_edit",
    ),
    path(f"{PARTNERSHIP}settings/", views.partnership_settings, name="partnership_settings"),
    path(f"{PARTNERSHIP}logo/", views.partnership_logo_edit, name="partnership_logo_edit"),
    path(
        f"{PARTNERSHIP}logo/remove/",
        views.partnership_logo_remove,
        name="partnership_logo_remove",
    ),
    path(f"{PARTNERSHIP}logo.img", views.partnership_logo, name="partnership_logo"),
]
