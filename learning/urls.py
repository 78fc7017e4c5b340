from django.urls import path

from . import views

urlpatterns = [
    path("learning/", views.library, name="learning_library"),
    path("learning/trends/", views.trends, name="learning_trends"),
    path(
        "learning/trends/<slug:key>.<str:file_type>",
        views.trends_chart,
        name="learning_trends_chart",
    ),
    path("learning/report/", views.assurance_report, name="learning_report"),
]
