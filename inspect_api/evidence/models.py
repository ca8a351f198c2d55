"""Photo evidence attached to findings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import Base, UTCDateTime

if TYPE_CHECKING:
    from .flags import PhotoFacts


class Evidence(Base):
    """One photo, identified by the tablet's UUID. The bytes live in the object store
    under `object_key` (and a 320 px JPEG under `thumbnail_key`); the row exists only
    once both are stored, so it never points at nothing."""

    __tablename__ = "evidence"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    object_key: Mapped[str] = mapped_column(String(300), unique=True)
    thumbnail_key: Mapped[str] = mapped_column(String(300), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    uploaded_by: Mapped[User] = relationship()

    if TYPE_CHECKING:
        # Not a column: on the photos of a visit's detail, what their flags are judged
        # on, read with the visit in the same request (flags.load_photo_facts).
        photo_facts: PhotoFacts

    @property
    def gps(self) -> dict[str, float] | None:
        if self.gps_lat is None or self.gps_lon is None:
            return None
        return {"lat": self.gps_lat, "lon": self.gps_lon}
