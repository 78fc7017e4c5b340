from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from maca import invitation_views, mfa, password
from maca import views as core_views
from maca.signin import OneResetEmailAWhileForm, SetPasswordView, SignInView

urlpatterns = [
    path("", include("cases.urls")),
    path("healthz", core_views.health, name="health"),
    path("readyz", core_views.readiness, name="readiness"),
    path("access-log/", core_views.access_log, name="access_log"),
    path("session/keepalive/", core_views.session_keepalive, name="session_keepalive"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "invitations/<str:token>/",
        invitation_views.invitation_accept,
        name="invitation_accept",
    ),
    path("password/change/", password.password_change, name="password_change"),
    path("mfa/setup/", mfa.mfa_setup, name="mfa_setup"),
    path("mfa/verify/", mfa.mfa_verify, name="mfa_verify"),
    path("mfa/recovery-codes/", mfa.mfa_recovery_codes, name="mfa_recovery_codes"),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=OneResetEmailAWhileForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/set/<uidb64>/<token>/",
        SetPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include("findings.urls")),
    path("", include("actions.urls")),
    path("", include("learning.urls")),
    path("", include("documents.urls")),
    path("admin/", admin.site.urls),
]
