"""Flags that tell a reviewer at a glance whether a photo can be trusted as evidence.

Each photo is judged on what is stored, never on what the tablet claims about it:
- time: its EXIF capture time against the visit's window (started_at .. ended_at, or
  submitted_at when the team gave no end), widened by a grace on both sides;
- place: its EXIF GPS against the desk's coordinates (great-circle distance);
- duplicates: the same bytes (SHA-256) in the evidence of another visit.
Where the data to judge is missing (no capture time, no GPS, a desk without coordinates)
the verdict is "unknown", so nobody reads "not checked" as "fine".

Computed for whole visits in two statements, whatever the number of photos: the photos
with their visit and desk, then every visit holding any of their hashes. A visit's detail
reads its photos, visit and desk anyway: what the flags are judged on is then kept on its
photos as it is loaded (`load_photo_facts`, one statement for the hashes), and the
schema judges it with the app's rules. An upload does the same for the photo it writes,
inside its transaction (`load_new_photo_facts`).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..db import db
from ..org.models import Desk
from ..visits.models import Visit, VisitDetail
from ..visits.service import on_visit_detail, visible_visits
from .models import Evidence

TIME_OK, TIME_OUTSIDE = "ok", "outside"
PLACE_OK, PLACE_FAR = "ok", "far"
UNKNOWN = "unknown"
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


@dataclass(frozen=True)
class FlagRules:
    """How much a photo may stray: EVIDENCE_TIME_GRACE_MINUTES, EVIDENCE_MAX_DISTANCE_METERS."""

    time_grace: dt.timedelta
    max_distance_m: float

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> FlagRules:
        return cls(dt.timedelta(minutes=settings["EVIDENCE_TIME_GRACE_MINUTES"]),
                   float(settings["EVIDENCE_MAX_DISTANCE_METERS"]))


@dataclass(frozen=True)
class EvidenceFlags:
    """The verdicts on one photo. `minutes_outside`: how far the capture time lies before
    the window (negative) or after it (positive); `distance_m`: metres from the desk;
    both None when not judged. `duplicate_of_visits`: other visits the caller may see
    that hold the same bytes; `duplicates_hidden`: how many more lie outside their view."""

    time: str = UNKNOWN
    minutes_outside: int | None = None
    place: str = UNKNOWN
    distance_m: int | None = None
    duplicate_of_visits: list[uuid.UUID] = field(default_factory=list)
    duplicates_hidden: int = 0

    @property
    def duplicate(self) -> bool:
        return bool(self.duplicate_of_visits) or self.duplicates_hidden > 0

    @property
    def attention(self) -> bool:
        """Something a reviewer should look at (an unknown is not, by itself)."""
        return self.time == TIME_OUTSIDE or self.place == PLACE_FAR or self.duplicate


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; within 0.5 % of the ellipsoid)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def judge_time(taken_at: dt.datetime | None, started_at: dt.datetime, ended_at: dt.datetime | None,
               grace: dt.timedelta) -> tuple[str, int | None]:
    """(verdict, minutes outside). A visit still under way (no end, not submitted) has no
    upper bound yet: only the start is checked."""
    if taken_at is None:
        return UNKNOWN, None
    earliest = started_at - grace
    if taken_at < earliest:
        return TIME_OUTSIDE, -math.ceil((earliest - taken_at).total_seconds() / 60)
    if ended_at is not None and taken_at > ended_at + grace:
        return TIME_OUTSIDE, math.ceil((taken_at - ended_at - grace).total_seconds() / 60)
    return TIME_OK, None


def judge_place(gps_lat: float | None, gps_lon: float | None, desk_lat: Any, desk_lon: Any,
                max_distance_m: float) -> tuple[str, int | None]:
    if gps_lat is None or gps_lon is None or desk_lat is None or desk_lon is None:
        return UNKNOWN, None
    metres = distance_m(gps_lat, gps_lon, float(desk_lat), float(desk_lon))
    return (PLACE_FAR if metres > max_distance_m else PLACE_OK), round(metres)


@dataclass(frozen=True)
class PhotoFacts:
    """What one photo's flags are judged on: its EXIF, its visit's window and desk, and
    every other visit holding the same bytes with whether the caller may see it."""

    visit_id: uuid.UUID
    taken_at: dt.datetime | None
    gps_lat: float | None
    gps_lon: float | None
    started_at: dt.datetime
    window_end: dt.datetime | None  # ended_at, else submitted_at, else open
    desk_lat: Any
    desk_lon: Any
    holders: tuple[tuple[uuid.UUID, bool], ...]


def judge(facts: PhotoFacts, rules: FlagRules) -> EvidenceFlags:
    """The verdicts on one photo under `rules` (pure: the facts were read before)."""
    time, minutes = judge_time(facts.taken_at, facts.started_at, facts.window_end, rules.time_grace)
    place, metres = judge_place(facts.gps_lat, facts.gps_lon, facts.desk_lat, facts.desk_lon,
                                rules.max_distance_m)
    others = [(visit_id, visible) for visit_id, visible in facts.holders if visit_id != facts.visit_id]
    return EvidenceFlags(
        time=time, minutes_outside=minutes, place=place, distance_m=metres,
        duplicate_of_visits=sorted((v for v, visible in others if visible), key=str),
        duplicates_hidden=sum(1 for _, visible in others if not visible))


def load_photo_facts(actor: User, visit: Visit | VisitDetail) -> None:
    """Keep on each photo of a loaded visit detail (its findings, their evidence and its
    desk loaded) what its flags are judged on: one statement, for the hashes, and none
    without photos. Registered with visits.service.on_visit_detail (hook_visit_detail)."""
    photos = [photo for finding in visit.findings for photo in finding.evidence]
    if not photos:
        return
    holders = _visits_by_hash(actor, {photo.sha256 for photo in photos})
    for photo in photos:
        photo.photo_facts = _facts(photo, visit, holders)


def load_new_photo_facts(actor: User, photo: Evidence, visit: Visit) -> None:
    """Keep on a photo about to be written (its visit, with its desk, loaded in the same
    transaction) what its flags are judged on: one statement for the hashes. Its own row
    need not be there: photos of its own visit are never its duplicates."""
    photo.photo_facts = _facts(photo, visit, _visits_by_hash(actor, {photo.sha256}))


def _facts(photo: Evidence, visit: Visit | VisitDetail,
           holders: Mapping[str, list[tuple[uuid.UUID, bool]]]) -> PhotoFacts:
    return PhotoFacts(
        visit_id=photo.visit_id, taken_at=photo.taken_at, gps_lat=photo.gps_lat, gps_lon=photo.gps_lon,
        started_at=visit.started_at, window_end=visit.ended_at or visit.submitted_at,
        desk_lat=visit.desk.latitude, desk_lon=visit.desk.longitude,
        holders=tuple(holders.get(photo.sha256, ())))


def hook_visit_detail() -> None:
    """Have every visit detail load its photos' facts (the app factory calls this)."""
    on_visit_detail(load_photo_facts)


def flags_for_visits(actor: User, visit_ids: Iterable[uuid.UUID], rules: FlagRules, *,
                     evidence_ids: Iterable[uuid.UUID] | None = None) -> dict[uuid.UUID, EvidenceFlags]:
    """The flags of every photo of these visits (or only of `evidence_ids` among them), by
    evidence id. The caller has already checked that the actor may see these visits;
    other visits named as duplicates are only those the actor may see (the rest are
    counted, not named)."""
    visit_ids = list(dict.fromkeys(visit_ids))
    if not visit_ids:
        return {}
    query = (
        select(Evidence.id, Evidence.visit_id, Evidence.sha256, Evidence.taken_at, Evidence.gps_lat,
               Evidence.gps_lon, Visit.started_at, Visit.ended_at, Visit.submitted_at, Desk.latitude,
               Desk.longitude)
        .join(Visit, Visit.id == Evidence.visit_id)
        .join(Desk, Desk.id == Visit.desk_id)
        .where(Evidence.visit_id.in_(visit_ids))
    )
    if evidence_ids is not None:
        query = query.where(Evidence.id.in_(list(evidence_ids)))
    rows = db.session.execute(query).all()
    if not rows:
        return {}
    holders = _visits_by_hash(actor, {row.sha256 for row in rows})
    return {row.id: judge(PhotoFacts(
        visit_id=row.visit_id, taken_at=row.taken_at, gps_lat=row.gps_lat, gps_lon=row.gps_lon,
        started_at=row.started_at, window_end=row.ended_at or row.submitted_at,
        desk_lat=row.latitude, desk_lon=row.longitude, holders=tuple(holders.get(row.sha256, ()))), rules)
        for row in rows}


def _visits_by_hash(actor: User, hashes: set[str]) -> dict[str, list[tuple[uuid.UUID, bool]]]:
    """Every visit holding a photo with one of these hashes, and whether the actor may
    see it: one statement (the index on evidence.sha256)."""
    visible = Evidence.visit_id.in_(visible_visits(actor).with_only_columns(Visit.id))
    found: dict[str, list[tuple[uuid.UUID, bool]]] = defaultdict(list)
    for sha256, visit_id, seen in db.session.execute(
            select(Evidence.sha256, Evidence.visit_id, visible).where(Evidence.sha256.in_(hashes)).distinct()):
        found[sha256].append((visit_id, bool(seen)))
    return found
