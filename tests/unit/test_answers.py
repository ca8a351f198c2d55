"""JSON answers are written by orjson (inspect_api/answers.py): the same document Flask's
own encoder writes, keys sorted, in UTF-8."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from inspect_api.answers import AppJSONProvider

VALUE = {"tên": "Phường Minh Xuân", "b": [1, 2.5, None, True], "a": {"z": 1, "y": "\u0000\n\t\""},
         "day": dt.date(2026, 11, 30), "at": dt.datetime(2026, 11, 30, 1, 2, 3, tzinfo=dt.UTC),
         "id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "amount": Decimal("12.50"),
         "by_id": {7: "seven", 10: "ten"}}


def _answers(debug: bool = False):
    app = Flask(__name__)
    app.debug = debug
    with app.app_context():
        return AppJSONProvider(app).response(VALUE), DefaultJSONProvider(app).response(VALUE)


def test_the_same_document_as_flasks_encoder_with_keys_sorted_in_utf8():
    ours, flasks = _answers()
    assert ours.mimetype == flasks.mimetype == "application/json"
    assert json.loads(ours.get_data()) == json.loads(flasks.get_data())
    text = ours.get_data(as_text=True)
    assert "Phường Minh Xuân" in text and "\\u" not in text.replace("\\u0000", "")
    assert text.endswith("}\n") and text.count("\n") == 1 and ": " not in text  # compact, one line
    keys = list(json.loads(text))
    assert keys == sorted(keys)
    # Dates and datetimes as Flask writes them (HTTP dates), not as orjson would.
    assert json.loads(text)["day"] == "Mon, 30 Nov 2026 00:00:00 GMT"


def test_what_orjson_refuses_is_written_by_flasks_encoder():
    app = Flask(__name__)
    with app.app_context():
        answer = AppJSONProvider(app).response({"big": 2**70, "ok": "vâng"})
    assert json.loads(answer.get_data()) == {"big": 2**70, "ok": "vâng"}


def test_debug_answers_stay_indented_for_a_person():
    ours, flasks = _answers(debug=True)
    assert ours.get_data() == flasks.get_data() and b"\n  " in ours.get_data()
