from django.urls import path

from cases.views import reaudit

urlpatterns = [
    path("audits/<int:pk>/reaudit/", reaudit.reaudit_schedule, name="reaudit_schedule"),
]
