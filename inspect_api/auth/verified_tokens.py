"""A JWTManager that remembers the tokens it has verified, so a tablet's next request
with the same token is not parsed and its signature checked again.

flask-jwt-extended parses every token four times per request (its claims unverified for
the key loader, its header twice, then the claims with the signature), and PyJWT checks
each base64 character in Python: about a quarter of a millisecond a request, as much as
the database's part of a visit's detail. A token's text fixes its claims and, for one
secret, whether its signature holds; what can change between two requests is only the
clock. So a hit re-checks the time claims (exp, nbf, iat, with the same leeway) and,
if any fails, decodes afresh, which raises the library's own error. Revocation and the
user's state are not cached: they are read from the database on every request
(service.is_token_revoked, load_token_user).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config

from ..kept import BoundedLRU

# Tokens live 15 minutes; a busy process sees a few hundred tablets in that time.
CACHE_SIZE = 4096


class CachingJWTManager(JWTManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verified: BoundedLRU[tuple[str, str], dict[str, Any]] = BoundedLRU(CACHE_SIZE)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        # A CSRF check or an expired token's claims are the library's rarer paths: as is.
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        # The secret is part of the key: a rotated secret verifies nothing cached under the old one.
        key = (current_app.config["JWT_SECRET_KEY"], encoded_token)
        claims = self._verified.get(key)
        if claims is None or not _in_time(claims, config.leeway):
            claims = super()._decode_jwt_from_config(encoded_token)
            self._verified.put(key, claims)
        # A copy: the request may keep and change what it is given.
        return dict(claims)


def _in_time(claims: dict[str, Any], leeway: float | timedelta) -> bool:
    """PyJWT's own time checks: not expired, already valid, not issued in the future
    (require_claims makes every token carry exp and iat)."""
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    now = time.time()
    return (claims["exp"] > now - leeway and claims.get("nbf", now) <= now + leeway
            and claims["iat"] <= now + leeway)
