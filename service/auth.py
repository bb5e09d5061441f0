"""Bearer-token checks for the API keys (``/v1/*``) and the admin token, in constant time.

Both sides are hashed before :func:`hmac.compare_digest`, so neither the
content nor the length of a key leaks through timing, and every configured key
is compared, so which key matched does not leak either. Tokens are never
logged or echoed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from flask import request

from service.errors import Problem

__all__ = ["require_bearer"]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def require_bearer(accepted: Iterable[str], realm: str) -> None:
    """Raise a 401 :class:`Problem` unless ``Authorization: Bearer <token>`` names one of ``accepted``."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    given = _digest(credential.strip()) if scheme.lower() == "bearer" and credential.strip() else None
    matched = False
    for token in accepted:
        matched |= given is not None and hmac.compare_digest(given, _digest(token))
    if not matched:
        reason = "is missing" if given is None else "is not accepted"
        raise Problem(
            401,
            f"The {realm} bearer token {reason}; send 'Authorization: Bearer <token>'.",
            slug="unauthorized",
            title="Unauthorized",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
        )
