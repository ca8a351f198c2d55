"""The arithmetic behind the evidence flags, at its edges (the HTTP tests cover the rest)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from inspect_api.config import ConfigError, load_settings
from inspect_api.evidence.flags import distance_m, judge_place, judge_time

START = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=2)
GRACE = dt.timedelta(minutes=30)


def test_distance_agrees_with_known_ones():
    # One degree of latitude is 111.2 km on the mean sphere; Hà Nội to TP. Hồ Chí Minh
    # (Hoàn Kiếm lake to Bến Thành market) is about 1,140 km as the crow flies.
    assert distance_m(21.0, 105.0, 22.0, 105.0) == pytest.approx(111_195, rel=1e-4)
    assert distance_m(21.0288, 105.8525, 10.7725, 106.6980) == pytest.approx(1_140_000, rel=0.01)
    assert distance_m(21.8, 105.2, 21.8, 105.2) == 0
    assert distance_m(0, 179.9999, 0, -179.9999) == pytest.approx(22.2, abs=0.1)  # across the antimeridian


@pytest.mark.parametrize(("taken", "end", "expected"), [
    (START - GRACE, END, ("ok", None)),
    (START - GRACE - dt.timedelta(seconds=1), END, ("outside", -1)),
    (END + GRACE, END, ("ok", None)),
    (END + GRACE + dt.timedelta(minutes=61), END, ("outside", 61)),
    (START + dt.timedelta(days=3), None, ("ok", None)),  # under way: no upper bound yet
    (None, END, ("unknown", None)),
])
def test_the_time_window_and_its_grace(taken, end, expected):
    assert judge_time(taken, START, end, GRACE) == expected


def test_place_needs_both_ends():
    assert judge_place(21.8, 105.2, Decimal("21.800000"), Decimal("105.200000"), 300) == ("ok", 0)
    assert judge_place(21.8, 105.2, Decimal("21.810000"), Decimal("105.200000"), 300)[0] == "far"
    assert judge_place(None, 105.2, Decimal("21.8"), Decimal("105.2"), 300) == ("unknown", None)
    assert judge_place(21.8, 105.2, None, None, 300) == ("unknown", None)


def test_the_settings_have_defaults_and_refuse_nonsense():
    settings = load_settings({})
    assert (settings["EVIDENCE_TIME_GRACE_MINUTES"], settings["EVIDENCE_MAX_DISTANCE_METERS"]) == (30, 300)
    for env in ({"EVIDENCE_TIME_GRACE_MINUTES": "-5"}, {"EVIDENCE_MAX_DISTANCE_METERS": "0"},
                {"EVIDENCE_MAX_DISTANCE_METERS": "far"}):
        with pytest.raises(ConfigError, match=next(iter(env))):
            load_settings(env)
