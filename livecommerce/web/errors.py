"""One error shape for the whole API, and the one table that maps error codes to statuses."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import redis.exceptions
import sqlalchemy.exc
from aiohttp import web

log = logging.getLogger(__name__)

#: Status for each domain error code. Domain errors only name a code; HTTP lives here.
STATUS_BY_CODE: dict[str, int] = {
    "invalid_request": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "already_exists": 409,
    "insufficient_stock": 409,
    "sold_out": 409,
    "limit_exceeded": 409,
    "not_started": 409,
    "ended": 409,
    "no_stock_at_store": 409,
    "expired": 409,
    "invalid_state": 409,
    "rate_limited": 429,
    "unavailable": 503,
}


class ApiError(Exception):
    """An error raised at the edge itself (auth, bodies, routing)."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _dumps(data: Any) -> str:
    return orjson.dumps(data).decode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response serialised with orjson (several times faster than json on the hot path)."""
    return web.Response(
        body=orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


def error_response(code: str, message: str, details: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body.update(details)
    status = STATUS_BY_CODE.get(code, 400)
    headers = {"Retry-After": "1"} if status == 429 else None
    return json_response({"error": body}, status=status, headers=headers)


#: Failures of Redis or the database: the request may be retried, so 503 rather than 500.
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    ConnectionError,
)

_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn every failure into the contract's error body; unknown ones into a logged 500."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.code, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "invalid_request" if exc.status < 500 else "internal")
        resp = error_response(code, exc.reason or code)
        resp.set_status(exc.status)
        return resp
    except _UNAVAILABLE as exc:
        log.warning("backend unavailable on %s %s: %r", request.method, request.path, exc)
        return error_response("unavailable", "a backing service is unavailable, retry shortly")
    except Exception as exc:  # domain errors carry a code; anything else is our bug
        code = getattr(exc, "code", None)
        if isinstance(code, str) and code in STATUS_BY_CODE:
            return error_response(code, str(exc), getattr(exc, "details", None))
        log.exception("unhandled error on %s %s", request.method, request.path)
        resp = error_response("internal", "internal server error")
        resp.set_status(500)
        return resp
