"""The WSGI application that gunicorn serves. Each worker also loads the PDF renderer and the
address table as it starts, so that nobody's first PDF or page waits for them."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maca.settings")

application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402 (needs Django set up)

from maca.pdf import load_renderer  # noqa: E402

load_renderer()
get_resolver().url_patterns  # noqa: B018 (imports every app's views now)

# What the worker has loaded lives as long as it does: the garbage collector need not look
# through it again at each full collection, which pages' own objects set off every hundred
# requests or so, and which costs about 50 ms when it does (half a millisecond a page).
gc.collect()
gc.freeze()
