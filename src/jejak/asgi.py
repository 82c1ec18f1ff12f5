"""The application that `jejak serve` runs: Django's WSGI handler on a pool of threads
per process, under uvicorn's worker (gunicorn).

uvicorn gives the production server what operators expect of it (gunicorn's master,
graceful reloads, and the client's address taken from X-Forwarded-For only when the
peer is a trusted proxy, `--forwarded-allow-ips`); Django runs as WSGI, every request
through its whole middleware stack. Django's own ASGI handler was measured and not
taken: with a sync middleware stack and sync views, each request ran on a new thread
with a database connection of its own that outlived it, and PostgreSQL ran out of
connections within seconds under load (docs/performance.md).
"""

import gc
import os
from typing import Any

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jejak.settings")
# Django's handler is a WSGI callable; its stubs type the return as a response.
django_application: Any = get_wsgi_application()
application = WSGIMiddleware(django_application, workers=settings.JEJAK_WSGI_THREADS)
# Django imports the URLconf, and with it every view and the API's routers, on the first
# request: seconds of work (more on a busy machine) that each new worker's first requests
# waited for, all of them, past 5 s. Loaded here, before the worker takes a request.
urlconf = get_resolver().url_patterns

# What start-up made (Django, the URLconf, the models) stays for the life of the process:
# out of the cyclic collector's reach, its full collections walk only what requests made.
gc.freeze()
