"""Domain errors: what a service raises when a rule says no.

They carry plain values only (a Vietnamese detail, field messages, extra members such as
the resource's current state); error_handlers.py turns them into problem+json at the
HTTP edge. Nothing here knows of Flask, so a console or a command can catch them too.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error a service raises; the handler turns it into problem+json."""

    status = 400
    type_slug = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Any = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class NotFound(AppError):
    status = 404
    type_slug = "not-found"


class Forbidden(AppError):
    status = 403
    type_slug = "forbidden"


class Unauthorized(AppError):
    status = 401
    type_slug = "unauthorized"


class Conflict(AppError):
    """A write that would overwrite newer data or break a state rule.

    `current` carries the server's copy so an offline client can merge.
    """

    status = 409
    type_slug = "conflict"


class ImmutableTemplate(Conflict):
    """A write that would change a published checklist, caught at flush (the service
    refuses it first; this is the last line of defence): 409, not a 500."""


class PreconditionRequired(AppError):
    status = 428
    type_slug = "precondition-required"


class Invalid(AppError):
    """Input well-formed but not acceptable; `errors` names the items and fields."""

    status = 422
    type_slug = "validation-error"


class RefusedInput(Invalid):
    """What no endpoint accepts (inputs.py: NUL, NaN, nesting...), refused before any view
    and so before authentication; its own type tells it from a schema's 422."""

    type_slug = "refused-input"


class Unreadable(AppError):
    """A body that cannot be read at all (not JSON, not UTF-8): 400, before any view."""

    status = 400
    type_slug = "unreadable-body"


class TooLarge(AppError):
    status = 413
    type_slug = "payload-too-large"


class StoreDown(AppError):
    """The object store (or the database after it) cannot take a write now: 503, retry."""

    status = 503
    type_slug = "storage-unavailable"


class IncompleteUpload(AppError):
    """The body ended before Content-Length said (the connection dropped)."""

    status = 400
    type_slug = "upload-incomplete"


class UnsupportedMediaType(AppError):
    status = 415
    type_slug = "unsupported-media-type"


class PhotoTooLarge(Invalid):
    """Refused before decoding: too many pixels or too much memory to decode. Its own
    type, so a tablet app can tell it apart and send a smaller JPEG instead."""

    type_slug = "image-too-large"
