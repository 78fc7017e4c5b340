"""The WSGI application that gunicorn serves. Each worker also loads the PDF renderer as it
starts, so that nobody's first PDF waits for it."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maca.settings")

application = get_wsgi_application()

from maca.pdf import load_renderer  # noqa: E402 (needs Django set up)

load_renderer()
