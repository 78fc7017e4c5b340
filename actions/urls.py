from django.urls import path

from . import views

urlpatterns = [
    path("audits/import/", views.audit_import, name="audit_import"),
]
