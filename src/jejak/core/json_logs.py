"""Log lines as JSON, one object per line (JEJAK_LOG_FORMAT=json), for a log shipper that
indexes fields rather than parsing text (docs/operations.md, "Logs")."""

from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"}`, and `"exception"` (the
    traceback's text) when the record carries one. The time is UTC, ISO 8601 with
    milliseconds; the request id is core/request_id.py's (None outside a request)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        line: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info and not record.exc_text:
            # Cached on the record, as logging.Formatter does, for the other handlers.
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # A message is one line whatever it holds: json escapes its new lines.
        return json.dumps(line, ensure_ascii=False, default=str)
