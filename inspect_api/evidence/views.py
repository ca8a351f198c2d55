"""Photo evidence: upload as a raw body, metadata, download."""

import datetime as dt
import uuid
from typing import BinaryIO, cast

from flask import current_app, redirect, request, send_file
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from werkzeug.exceptions import ClientDisconnected

from ..api import BINARY, OCTET_STREAM, request_headers, response_headers
from ..errors import Invalid
from ..guard import require_role
from ..requests import request_origin
from . import service
from .images import FORMATS
from .schemas import EvidenceConflictProblemSchema, EvidenceSchema, UploadArgsSchema

blp = Blueprint("evidence", __name__, url_prefix="/api/v1", description="Minh chứng (ảnh chụp)")

# One binary content type, the one every generator sends raw bytes as: the server reads
# the photo's type from its bytes. Sending image/jpeg, image/png or image/webp instead
# works too, but a generated client given several types would send the first for all.
_UPLOAD_BODY = {
    "required": True,
    "description": "The photo's bytes, as taken (EXIF kept): JPEG, PNG or WebP. Send them as "
                   "application/octet-stream (the type is read from the bytes) or under "
                   "their own type (" + ", ".join(FORMATS) + "). Send X-Content-SHA256 (hex) "
                   "so the server can check nothing was lost on the way.",
    "content": {OCTET_STREAM: {"schema": BINARY}},
}


@blp.route("/visits/<uuid:visit_id>/evidence/<uuid:evidence_id>", methods=["PUT"])
@require_role("inspector")
@blp.arguments(UploadArgsSchema, location="query")
@blp.response(201, EvidenceSchema, description="Stored")
@blp.alt_response(200, schema=EvidenceSchema, description="Already stored with the same bytes (a retry)")
@blp.alt_response(400, description="The body ended early (connection lost); nothing was kept. Send it again")
@blp.alt_response(409, schema=EvidenceConflictProblemSchema,
                  description="The id holds other bytes (`current` is the stored photo), "
                              "or the visit is no longer editable")
@blp.alt_response(413, description="Larger than EVIDENCE_MAX_BYTES")
@blp.alt_response(415, description="Not a JPEG, PNG or WebP photo")
@blp.alt_response(503, description="The object store is unavailable; nothing was kept. Retry later")
@blp.doc(requestBody=_UPLOAD_BODY, **request_headers("ContentSHA256", "FindingIdHeader"))
def upload(args, visit_id: uuid.UUID, evidence_id: uuid.UUID):
    """Upload one photo for a finding; retry-safe by its UUID."""
    request.max_content_length = current_app.config["EVIDENCE_MAX_BYTES"]
    finding_id = args.get("finding_id") or _uuid_header("X-Finding-ID")
    limits = service.UploadLimits.from_settings(current_app.config)
    try:
        evidence, created = service.upload_evidence(
            current_user, visit_id, evidence_id, finding_id, request.mimetype, request.stream,
            request.headers.get("X-Content-SHA256"), limits=limits, origin=request_origin(),
            length=request.content_length)
    except ClientDisconnected:
        # Fewer bytes than Content-Length, or the connection dropped mid-body.
        raise service.incomplete_upload() from None
    EvidenceSchema.flags_alone(evidence)
    return evidence, 201 if created else 200


@blp.route("/visits/<uuid:visit_id>/evidence/<uuid:evidence_id>", methods=["DELETE"])
@require_role("inspector")
@blp.response(204)
@blp.alt_response(409, schema=EvidenceConflictProblemSchema,
                  description="The visit is no longer editable")
def delete(visit_id: uuid.UUID, evidence_id: uuid.UUID):
    """Remove a photo (and its stored files) from an editable visit."""
    service.delete_evidence(current_user, visit_id, evidence_id, origin=request_origin())


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
    return send_photo(service.get_evidence(current_user, evidence_id), which)


def send_photo(photo: service.StoredImage, which: str):
    """The answer for a stored photo (a finding's or a correction's) the caller may read:
    a redirect to a presigned URL, or the bytes under the sandbox policy."""
    target = service.download_target(
        photo, which, dt.timedelta(seconds=current_app.config["EVIDENCE_URL_SECONDS"]),
        service.UploadLimits.from_settings(current_app.config))
    if target.url:
        return redirect(target.url, code=302)
    # No URL: download_target gave the stream.
    response = send_file(cast(BinaryIO, target.stream), mimetype=target.media_type, max_age=0,
                         download_name=target.filename)  # Content-Disposition: inline; filename=...
    response.headers["Content-Security-Policy"] = SANDBOX_POLICY  # nosniff: on every answer
    return response


def _bytes(*media_types: str) -> dict:
    # The photo's own type, and octet-stream: the type generators read raw bytes under.
    return {media: {"schema": BINARY} for media in (*media_types, OCTET_STREAM)}


_REDIRECT = {"description": "Redirect to a short-lived presigned URL (object store)",
             "headers": response_headers("Location")}
# The OpenAPI answers of a photo's two downloads (the corrections' photos reuse them).
PHOTO_RESPONSES = {
    "content": {"200": {"description": "The photo (local store)", "content": _bytes(*FORMATS),
                        "headers": response_headers("ContentDisposition")},
                "302": _REDIRECT},
    "thumbnail": {"200": {"description": "The thumbnail (local store)", "content": _bytes("image/jpeg"),
                          "headers": response_headers("ContentDisposition")},
                  "302": _REDIRECT},
}


@blp.route("/evidence/<uuid:evidence_id>/content", methods=["GET"])
@require_role()
@blp.doc(responses=PHOTO_RESPONSES["content"])
@blp.alt_response(503, description="The object store is unavailable; retry later")
def evidence_content(evidence_id: uuid.UUID):
    """The photo itself: a redirect to a presigned URL valid a few minutes, or the bytes."""
    return _download(evidence_id, "content")


@blp.route("/evidence/<uuid:evidence_id>/thumbnail", methods=["GET"])
@require_role()
@blp.doc(responses=PHOTO_RESPONSES["thumbnail"])
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
        raise Invalid(f"{name} không phải UUID.", errors={"headers": {name: ["Không phải UUID."]}}) from None

