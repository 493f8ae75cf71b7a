"""The HTTP edge shared by every package's routes: auth, capped bodies, error mapping.

Domain packages raise their own errors (each carries a snake_case ``code``); this is
the one place where codes become HTTP statuses.
"""

from livecommerce.web.auth import Principal, Role, TokenSigner, optional_principal, require
from livecommerce.web.bodies import read_model, validate_query
from livecommerce.web.errors import ApiError, error_middleware, json_response

__all__ = [
    "ApiError",
    "Principal",
    "Role",
    "TokenSigner",
    "error_middleware",
    "json_response",
    "optional_principal",
    "read_model",
    "require",
    "validate_query",
]
