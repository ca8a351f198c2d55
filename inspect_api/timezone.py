"""The one time zone the product speaks: days in filters, reports and photo stamps are
days in Vietnam."""

from __future__ import annotations

from zoneinfo import ZoneInfo

# UTC+7 all year (no daylight saving); named rather than a fixed offset so a reader
# sees which clock is meant.
VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
