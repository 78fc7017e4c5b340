from django.urls import path

from cases.views import retention

urlpatterns = [
    path("audits/<int:pk>/retention/", retention.retention_page, name="retention"),
    path("audits/<int:pk>/retention/purge/", retention.purge, name="retention_purge"),
    path("audits/<int:pk>/retention/hold/", retention.legal_hold, name="legal_hold"),
]
