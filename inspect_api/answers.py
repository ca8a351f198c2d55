"""How the app writes its JSON answers: with orjson, the same document Flask's encoder
would write (keys sorted, compact) in UTF-8 rather than with \\u escapes. A national list
is ~20 MB of JSON: Python's encoder took 0.6-0.8 s of it, orjson a few hundredths.
Dates, dataclasses and anything else orjson would spell its own way go through Flask's
own `default`, so they read as before; anything orjson refuses (an integer past 64 bits,
text that is not valid UTF-8) is written by Flask's encoder, as before."""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Response
from werkzeug.sansio.response import Response as BaseResponse

from .inputs import RequestJSONProvider

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
            | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)


class AppJSONProvider(RequestJSONProvider):
    """Requests read as RequestJSONProvider reads them; answers written by orjson."""

    def response(self, *args: Any, **kwargs: Any) -> BaseResponse:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)  # indented for a person, in debug
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        response_class = cast(type[Response], self._app.response_class)  # flask.Response
        return response_class(body, mimetype=self.mimetype)
