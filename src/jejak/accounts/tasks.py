"""Background work of accounts: the SMS that carries a sign-in code.

With a task worker (JEJAK_TASK_BACKEND=django_tasks_db.DatabaseBackend) the request that
asks for a code only stores a task row, and the worker talks to the SMS gateway: a slow
gateway (JEJAK_SMS_HTTP_TIMEOUT, retried JEJAK_SMS_HTTP_RETRIES times, about 16 s at
worst) never holds a request thread. With no worker configured the task runs inline
(django-tasks' ImmediateBackend), right after the request's commit, as before.

The task row is stored in the database and kept until `jejak prune_db_task_results`, so
its arguments are sealed (core/crypto.py, bound to this purpose): the row shows neither
the number nor the code. The task has the highest priority, so a code is sent before
the outbox's backlog of a mass event, and it is dropped once the code has expired: a
worker that was down for longer would only send a code that no longer works.
"""

from __future__ import annotations

import base64
import json
import logging
import time

from django_tasks import task
from django_tasks.base import TASK_MAX_PRIORITY

from jejak.core import crypto
from jejak.notifications.sms import send_sms

logger = logging.getLogger(__name__)

_PURPOSE = b"accounts.sign_in_code"


def seal(*, to: str, text: str, valid_seconds: float) -> str:
    """The task's argument: number, text and the wall-clock second after which the code
    is no longer worth sending, encrypted."""
    plain = json.dumps({"to": to, "text": text, "until": time.time() + valid_seconds})
    return base64.b64encode(crypto.encrypt(plain.encode(), aad=_PURPOSE)).decode()


@task(priority=TASK_MAX_PRIORITY)
def send_sign_in_code(sealed: str) -> bool:
    """Send one sign-in code by SMS; False when it was not sent (expired, a key that is
    gone, the gateway failed: the visitor asks for a new code)."""
    try:
        message = json.loads(crypto.decrypt(base64.b64decode(sealed), aad=_PURPOSE))
    except (ValueError, crypto.DecryptionError):
        logger.error("A sign-in code's task could not be read; not sent")
        return False
    if time.time() > message["until"]:
        logger.warning("A sign-in code expired before its task ran; not sent")
        return False
    return send_sms(message["to"], message["text"])
