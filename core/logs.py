"""Logs as JSON lines carrying the request id, and the request id itself (X-Request-ID)."""

import logging
import logging.config
import random
import re
from contextvars import ContextVar
from typing import Any

from core.settings import Settings

REQUEST_ID_HEADER = b"x-request-id"
SCOPE_KEY = "commons.request_id"
# A caller's id is kept only when it is short and plain, so it cannot forge log lines or
# headers; anything else is replaced by one of ours.
_ACCEPTABLE = re.compile(rb"^[A-Za-z0-9._:@-]{1,128}$")

# Set once per request by the observation middleware. Never reset: every request runs in its
# own task (its own copy of the context), and the 500 handler logs after the middleware unwound.
current_request_id: ContextVar[str | None] = ContextVar("commons_request_id", default=None)


def new_request_id() -> str:
    # Not a secret, only unique: 128 random bits without urandom's system call per request
    # (the random module reseeds itself in a forked worker).
    return f"{random.getrandbits(128):032x}"


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it is acceptable, else a new one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if _ACCEPTABLE.match(value):
                return value.decode("ascii")
            break
    return new_request_id()


def request_id_of(scope) -> str | None:
    """The id of the request a scope belongs to (set by the observation middleware)."""
    return scope.get(SCOPE_KEY) or current_request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record; for uvicorn's access lines also their parts."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            record.client, record.method, record.path, _version, record.status = args
        return True


def log_config(settings: Settings) -> dict[str, Any]:
    """A logging.config dict for the app, uvicorn and the worker: JSON lines or plain text."""
    if settings.log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own handlers would print each line a second time, unformatted.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(log_config(settings))
