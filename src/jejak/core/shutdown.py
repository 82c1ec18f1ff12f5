"""Whether this process has been asked to stop (SIGTERM from systemd, a deploy).

Long loops of background work (a sweep of a day's backlog) look at it between their
steps, so a stop is honoured within one step instead of after the whole backlog; what
is left is taken by the next run."""

import threading

requested = threading.Event()
