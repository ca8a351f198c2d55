"""The evidence flags (evidence/flags.py) in words a reviewer reads: a short badge per
doubt on each thumbnail, and the full account on the photo page. The flags of a whole
visit come in one call (two statements), never one query per photo."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..db import db
from ..documents.render import vn_number
from ..evidence.flags import PLACE_FAR, TIME_OUTSIDE, UNKNOWN, EvidenceFlags, FlagRules, flags_for_visits
from ..visits.models import Visit
from .formatting import vn_datetime

TIME_BADGE = "Chụp ngoài giờ kiểm tra"
DUPLICATE_BADGE = "Ảnh trùng buổi kiểm tra khác"


def rules() -> FlagRules:
    return FlagRules.from_settings(current_app.config)


def visit_flags(actor: User, visit_id: uuid.UUID) -> dict[uuid.UUID, EvidenceFlags]:
    """The flags of every photo of one visit (which the caller may see), by evidence id."""
    return flags_for_visits(actor, [visit_id], rules())


def distance_text(metres: int) -> str:
    """850 m below a kilometre, 1,2 km above (a reviewer reads distances, not metres)."""
    if metres < 1000:
        return f"{metres} m"
    return f"{vn_number(round(metres / 1000, 1), 1)} km"


def badges(flags: EvidenceFlags | None) -> list[str]:
    """The doubts about a photo, each a few words (text, never colour alone)."""
    if flags is None:
        return []
    found = []
    if flags.time == TIME_OUTSIDE:
        found.append(TIME_BADGE)
    if flags.place == PLACE_FAR and flags.distance_m is not None:
        found.append(f"Cách bàn tiếp nhận {distance_text(flags.distance_m)}")
    if flags.duplicate:
        found.append(DUPLICATE_BADGE)
    return found


def _minutes_text(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{hours} giờ {rest} phút"
    return f"{hours} giờ" if hours else f"{rest} phút"


@dataclass
class PhotoAccount:
    """What the photo page says of each check; `duplicates`: the other visits the reader
    may open, `duplicates_hidden`: how many more lie outside their scope."""

    time: str
    time_doubtful: bool
    place: str
    place_doubtful: bool
    duplicates: list[Visit] = field(default_factory=list)
    duplicates_hidden: int = 0

    @property
    def doubtful(self) -> bool:
        return self.time_doubtful or self.place_doubtful or bool(self.duplicates) or self.duplicates_hidden > 0


def photo_account(evidence: Any, visit: Visit, flags: EvidenceFlags | None) -> PhotoAccount:
    """The full explanation of one photo's flags for the photo page."""
    flags = flags or EvidenceFlags()
    grace = int(rules().time_grace.total_seconds() // 60)
    end = visit.ended_at or visit.submitted_at
    window = f"{vn_datetime(visit.started_at)} – {vn_datetime(end) if end else 'chưa kết thúc'}"
    if flags.time == TIME_OUTSIDE and flags.minutes_outside is not None:
        side = "trước khi" if flags.minutes_outside < 0 else "sau khi"
        bound = "bắt đầu" if flags.minutes_outside < 0 else "kết thúc"
        time = (f"Chụp lúc {vn_datetime(evidence.taken_at)}, ngoài giờ kiểm tra ({window}): "
                f"{_minutes_text(flags.minutes_outside)} {side} buổi kiểm tra {bound}, "
                f"đã tính {grace} phút cho phép lệch.")
    elif flags.time == UNKNOWN:
        time = "Không kiểm tra được: ảnh không ghi thời điểm chụp."
    else:
        time = f"Chụp lúc {vn_datetime(evidence.taken_at)}, trong giờ kiểm tra ({window})."
    max_distance = distance_text(int(rules().max_distance_m))
    if flags.place == UNKNOWN or flags.distance_m is None:
        place = ("Không kiểm tra được: ảnh không ghi vị trí." if evidence.gps is None
                 else "Không kiểm tra được: bàn tiếp nhận chưa có tọa độ.")
    elif flags.place == PLACE_FAR:
        place = (f"Chụp cách bàn tiếp nhận {distance_text(flags.distance_m)}, "
                 f"xa hơn mức cho phép {max_distance}.")
    else:
        place = f"Chụp cách bàn tiếp nhận {distance_text(flags.distance_m)}, trong phạm vi {max_distance}."
    return PhotoAccount(time=time, time_doubtful=flags.time == TIME_OUTSIDE, place=place,
                        place_doubtful=flags.place == PLACE_FAR,
                        duplicates=_visits(flags.duplicate_of_visits), duplicates_hidden=flags.duplicates_hidden)


def _visits(ids: list[uuid.UUID]) -> list[Visit]:
    """The visits named as holding the same bytes: flags_for_visits names only those the
    reader may see, so they are loaded as they are (one statement)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Visit).where(Visit.id.in_(ids)).options(selectinload(Visit.desk))
                                   .order_by(Visit.started_at, Visit.id)))


def flagged_count(photo_ids: list[uuid.UUID], flags: dict[uuid.UUID, EvidenceFlags]) -> int:
    """How many of these photos a reviewer should look at again."""
    return sum(1 for photo_id in set(photo_ids) if photo_id in flags and flags[photo_id].attention)

