"""Settings that can be told wrong only once Django is loaded: `manage.py check` (and so
`migrate`) refuses them by name; `check --deploy` warns of what is allowed but unsafe."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string


@register()
def email_backend_loads(app_configs, **kwargs):
    try:
        import_string(settings.EMAIL_BACKEND)
    except ImportError as error:
        return [
            Error(
                f"EMAIL_BACKEND {settings.EMAIL_BACKEND!r} could not be loaded: {error}.",
                hint="For a mail server: django.core.mail.backends.smtp.EmailBackend.",
                id="maca.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def two_step_sign_in_required(app_configs, **kwargs):
    if settings.MFA_ENFORCED:
        return []
    return [
        Warning(
            "MFA_ENFORCED is off: chairs, administrators and staff can sign in with a password "
            "alone, and open case data with it.",
            hint="Leave MFA_ENFORCED unset (on) in production.",
            id="maca.W001",
        )
    ]
