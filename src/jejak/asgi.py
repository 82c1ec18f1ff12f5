"""The ASGI application that `make run` and production serve (uvicorn).

The check-in lane (checkins/lane.py) answers API clients' check-ins in batches; every
other request goes to Django's WSGI application on a pool of threads, as gunicorn's
threaded workers ran it before (JEJAK_WSGI_THREADS per process).
"""

import gc
import os
from typing import Any

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jejak.settings")
django_application = get_wsgi_application()

from jejak.checkins.lane import CheckInLane  # noqa: E402 (needs Django set up)

# Django's handler is a WSGI callable; its stubs type the return as a response.
wsgi: Any = django_application
django_threads: Any = WSGIMiddleware(wsgi, workers=settings.JEJAK_WSGI_THREADS)
application = CheckInLane(django_threads) if settings.JEJAK_CHECKIN_LANE else django_threads

# What start-up made (Django, the URLconf, the models) stays for the life of the process:
# out of the cyclic collector's reach, its full collections walk only what requests made.
gc.freeze()
