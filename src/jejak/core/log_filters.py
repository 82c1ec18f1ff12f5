"""Filters for Django's logging (settings.LOGGING)."""

import logging


class ClientErrorsInOneLine(logging.Filter):
    """A 4xx (a refused permission, a missing page, a bad request) is the caller's
    doing, not a fault to debug: Django logs it with the exception's traceback, which
    buries the real errors. Keep the line, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
