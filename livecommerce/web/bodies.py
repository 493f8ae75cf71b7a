"""The one helper that caps and validates untrusted JSON input (bodies and query strings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from aiohttp import web

from livecommerce.web.errors import ApiError

__all__ = ["read_model", "validate_query", "DEFAULT_MAX_BODY"]

M = TypeVar("M", bound=pydantic.BaseModel)

DEFAULT_MAX_BODY = 16 * 1024


def _describe(exc: pydantic.ValidationError) -> tuple[str, str]:
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "body"
    return field, f"{field}: {err.get('msg', 'invalid')}"


def parse_model(model: type[M], raw: bytes | str | Mapping[str, Any]) -> M:
    try:
        if isinstance(raw, bytes | str):
            return model.model_validate_json(raw)
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        field, message = _describe(exc)
        raise ApiError("invalid_request", message, field=field) from exc


async def read_model(request: web.Request, model: type[M], max_bytes: int = DEFAULT_MAX_BODY) -> M:
    """Read at most ``max_bytes`` of JSON and validate it; 413/415/422 otherwise."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError("payload_too_large", f"body larger than {max_bytes} bytes")
    ctype = request.content_type
    if ctype not in ("application/json", "application/octet-stream", "text/plain") and request.can_read_body:
        raise ApiError("unsupported_media_type", "expected application/json")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ApiError("payload_too_large", f"body larger than {max_bytes} bytes")
    if not raw:
        raise ApiError("invalid_request", "body: a JSON object is required", field="body")
    return parse_model(model, raw)


def validate_query(request: web.Request, model: type[M]) -> M:
    return parse_model(model, dict(request.query))
