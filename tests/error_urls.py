"""MACA's addresses plus one that fails, to see the page a fault gives."""

from django.urls import include, path


def failing_view(request):
    raise RuntimeError("A fault that MACA did not foresee.")


urlpatterns = [path("fails/", failing_view), path("", include("maca.urls"))]
