"""Photo evidence: upload as a raw body, metadata, download."""

import uuid

from flask import current_app, redirect, request, send_file
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..auth.actor import require_role
from . import service
from .images import FORMATS
from .schemas import EvidenceSchema, UploadArgsSchema

blp = Blueprint("evidence", __name__, url_prefix="/api/v1", description="Minh chứng (ảnh chụp)")

_UPLOAD_BODY = {
    "required": True,
    "description": "The photo's bytes, as taken (EXIF kept). Send X-Content-SHA256 (hex) so "
                   "the server can check nothing was lost on the way.",
    "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in FORMATS},
}
_UPLOAD_HEADERS = [
    {"in": "header", "name": "X-Content-SHA256", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}},
    {"in": "header", "name": "X-Finding-ID", "required": False,
     "schema": {"type": "string", "format": "uuid"}},
]


@blp.route("/visits/<uuid:visit_id>/evidence/<uuid:evidence_id>", methods=["PUT"])
@require_role("inspector")
@blp.arguments(UploadArgsSchema, location="query")
@blp.response(201, EvidenceSchema, description="Stored")
@blp.alt_response(200, schema=EvidenceSchema, description="Already stored with the same bytes (a retry)")
@blp.alt_response(400, description="The body ended early (connection lost); nothing was kept. Send it again")
@blp.alt_response(409, description="The id holds other bytes, or the visit is no longer editable")
@blp.alt_response(413, description="Larger than EVIDENCE_MAX_BYTES")
@blp.alt_response(415, description="Not image/jpeg, image/png or image/webp")
@blp.alt_response(503, description="The object store is unavailable; nothing was kept. Retry later")
@blp.doc(requestBody=_UPLOAD_BODY, parameters=_UPLOAD_HEADERS)
def upload(args, visit_id: uuid.UUID, evidence_id: uuid.UUID):
    """Upload one photo for a finding; retry-safe by its UUID."""
    request.max_content_length = current_app.config["EVIDENCE_MAX_BYTES"]
    finding_id = args.get("finding_id") or _uuid_header("X-Finding-ID")
    evidence, created = service.upload_evidence(
        current_user, visit_id, evidence_id, finding_id, request.content_type,
        request.stream, request.headers.get("X-Content-SHA256"))
    return evidence, 201 if created else 200


@blp.route("/visits/<uuid:visit_id>/evidence/<uuid:evidence_id>", methods=["DELETE"])
@require_role("inspector")
@blp.response(204)
@blp.alt_response(409, description="The visit is no longer editable")
def delete(visit_id: uuid.UUID, evidence_id: uuid.UUID):
    """Remove a photo (and its stored files) from an editable visit."""
    service.delete_evidence(current_user, visit_id, evidence_id)


@blp.route("/evidence/<uuid:evidence_id>", methods=["GET"])
@require_role()
@blp.response(200, EvidenceSchema)
def evidence_metadata(evidence_id: uuid.UUID):
    """A photo's metadata: hash, size, pixel size, EXIF capture time and position."""
    return service.get_evidence(current_user, evidence_id)


# The bytes are the inspector's, not ours: a JPEG may carry HTML after its image data, and
# this is the API's own origin. Nothing in them may run, load or be framed, whatever a
# browser makes of them.
SANDBOX_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def _download(evidence_id: uuid.UUID, which: str):
    evidence = service.get_evidence(current_user, evidence_id)
    target = service.download_target(evidence, which)
    if target.url:
        return redirect(target.url, code=302)
    response = send_file(target.stream, mimetype=target.media_type, max_age=0,
                         download_name=target.filename)  # Content-Disposition: inline; filename=...
    response.headers["Content-Security-Policy"] = SANDBOX_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


_BINARY = {media: {"schema": {"type": "string", "format": "binary"}} for media in FORMATS}


@blp.route("/evidence/<uuid:evidence_id>/content", methods=["GET"])
@require_role()
@blp.doc(responses={
    "200": {"description": "The photo (local store)", "content": _BINARY},
    "302": {"description": "Redirect to a short-lived presigned URL (object store)"},
})
@blp.alt_response(503, description="The object store is unavailable; retry later")
def evidence_content(evidence_id: uuid.UUID):
    """The photo itself: a redirect to a presigned URL valid a few minutes, or the bytes."""
    return _download(evidence_id, "content")


@blp.route("/evidence/<uuid:evidence_id>/thumbnail", methods=["GET"])
@require_role()
@blp.doc(responses={
    "200": {"description": "The thumbnail (local store)",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
    "302": {"description": "Redirect to a short-lived presigned URL (object store)"},
})
@blp.alt_response(503, description="The object store is unavailable; retry later")
def evidence_thumbnail(evidence_id: uuid.UUID):
    """The 320 px JPEG thumbnail: a redirect to a presigned URL, or the bytes."""
    return _download(evidence_id, "thumbnail")


def _uuid_header(name: str):
    value = request.headers.get(name)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        from ..errors import Invalid

        raise Invalid(f"{name} không phải UUID.", errors={"headers": {name: ["Không phải UUID."]}}) from None

