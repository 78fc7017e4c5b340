from django.urls import path

from . import views

urlpatterns = [
    path("learning/", views.library, name="learning_library"),
    path("learning/trends/", views.library, name="learning_trends"),
    path("learning/report/", views.library, name="learning_report"),
]
