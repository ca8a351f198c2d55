"""flask-smorest's Api, adapted so the OpenAPI document is a contract a client can be
generated from (openapi-python-client, TypeScript generators, openapi-generator).

Everything the views do not say themselves is decided here, once:
- every operation has a stable operationId, derived from its blueprint and view
  (`operation_id`); changing one breaks every generated client, so a test pins them;
- each marshmallow schema is documented as what travels in each direction: a response
  component lists every field it always carries as `required` (a field that may be
  absent says so with `metadata={"optional": True}`), a request component lists the
  fields a client must send, and a schema used both ways (`DeskSchema` is the body of
  POST /desks and its answer) becomes two components, `Desk` and `DeskInput`;
- errors are application/problem+json (errors.py), each operation lists the statuses it
  can really answer, with a problem schema whose extra members are typed (`current`,
  `errors`, `missing`), and Retry-After where the server sends it;
- the headers the server reads and writes (X-Request-ID everywhere, If-Match, ETag,
  Retry-After, the photo's checksum) are documented parameters and response headers.

The document is OpenAPI 3.1: a nullable object is `anyOf: [{$ref}, {type: null}]`, which
generators read as "this type or null". In 3.0 the same needs `nullable` beside a `$ref`,
which 3.0 itself says has no effect there (Redocly rejects it) and which generators read
inconsistently.
"""

from __future__ import annotations

import contextlib
import http
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from apispec.exceptions import APISpecError
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import get_fields, make_schema_key, resolve_schema_instance
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from apispec.ext.marshmallow.schema_resolver import SchemaResolver
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.routing import IntegerConverter

from .error_handlers import PROBLEM_MIMETYPE
from .fields import ID_MAX
from .problems import ConflictProblemSchema, FieldErrors, ProblemSchema, ValidationProblemSchema


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIMETYPE = "application/pdf"
# Every generator reads a binary body or answer as bytes under this type; most know no other.
OCTET_STREAM = "application/octet-stream"
BINARY = {"type": "string", "format": "binary"}


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL: 1..ID_MAX, else 404 like any id that names nothing. The
    document shows the bounds (flask-smorest reads min/max off the converter)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


# --- problem details --------------------------------------------------------------------

FIELD_ERRORS = {
    "type": "object",
    "description": "Messages by where the bad input was and by field: "
                   "`{\"json\": {\"desk_id\": [\"...\"]}}`, `{\"query\": {...}}`, "
                   "`{\"headers\": {...}}`, or `{\"body\": [\"...\"]}` for a photo. A "
                   "batch names each bad item by its index: "
                   "`{\"json\": {\"findings\": {\"3\": {\"value\": [\"...\"]}}}}`.",
    "additionalProperties": {"anyOf": [{"type": "array", "items": {"type": "string"}},
                                       {"type": "object"}]},
}


def field_errors_ref(converter, field, ret, **kwargs) -> dict:
    if isinstance(field, FieldErrors):
        ret.clear()
        ret["$ref"] = "#/components/schemas/FieldErrors"
    return {}


# --- the document: components, operation ids --------------------------------------------

REQUEST, RESPONSE = "request", "response"

REQUEST_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"

PARAMETERS = {
    "RequestId": {
        "in": "header", "name": "X-Request-ID", "required": False,
        "description": "Your id for this request, echoed in the answer and in the audit "
                       "trail (the server makes one up if it is missing or not of this form).",
        "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN}},
    "IfMatch": {
        "in": "header", "name": "If-Match", "required": False,
        "description": "The ETag of the copy this edit is based on (or send `version` in the "
                       "body). An update with neither gets 428; a stale one 409.",
        "schema": {"type": "string", "maxLength": 64, "examples": ['"v3"']}},
    "ContentSHA256": {
        "in": "header", "name": "X-Content-SHA256", "required": False,
        "description": "SHA-256 of the body, hex: a body damaged on the way is refused "
                       "(422) instead of stored.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}},
    # A plain string with the UUID's pattern, not `format: uuid`: generators then send
    # the value as given instead of a UUID object they cannot put in a header.
    "FindingIdHeader": {
        "in": "header", "name": "X-Finding-ID", "required": False,
        "description": "The finding the photo belongs to, if not given as `finding_id`.",
        "schema": {"type": "string", "pattern": UUID_PATTERN}},
}

HEADERS = {
    "RequestId": {"description": "The request's id: yours if you sent a valid X-Request-ID.",
                  "schema": {"type": "string"}},
    "ETag": {"description": "The visit's version as an entity tag: send it back as If-Match.",
             "schema": {"type": "string"}},
    "RetryAfter": {"description": "Seconds to wait before trying again.",
                   "schema": {"type": "integer", "minimum": 0}},
    "Location": {"description": "Where the bytes are: a presigned URL of the object store, "
                                "valid a few minutes.",
                 "schema": {"type": "string", "format": "uri"}},
    "ContentDisposition": {"description": "The file's name.", "schema": {"type": "string"}},
}

# Statuses whose answers say when to come back.
RETRY_STATUSES = {429, 503}

# The name of each operation is the contract's: generated clients call `list_visits` or
# `listVisits`. Derived from the view (`Desks` → listDesks/createDesk, `DeskById` →
# getDesk/updateDesk/putDesk/deleteDesk, a function view → its name in camelCase), except
# where that would not read as what the operation does.
OPERATION_IDS = {
    ("auth.refresh", "post"): "refreshToken",
    ("auth.me", "get"): "getMe",
    ("staff.StaffList", "get"): "listStaff",
    ("staff.StaffList", "post"): "createStaff",
    ("checklists.publish", "post"): "publishChecklist",
    ("plans.PlanTeams", "get"): "listPlanTeams",
    ("plans.PlanTeams", "post"): "createTeam",
    ("visits.submit", "post"): "submitVisit",
    ("evidence.upload", "put"): "uploadEvidence",
    ("evidence.delete", "delete"): "deleteEvidence",
    ("evidence.evidence_metadata", "get"): "getEvidence",
    ("evidence.evidence_content", "get"): "downloadEvidence",
    ("evidence.evidence_thumbnail", "get"): "downloadEvidenceThumbnail",
    ("reviews.queue", "get"): "listReviewQueue",
    ("reviews.review", "post"): "reviewVisit",
    ("reviews.FindingExplanation", "get"): "getExplanation",
    ("reviews.FindingExplanation", "post"): "recordExplanation",
    ("reports.scores", "get"): "getScores",
    ("reports.export_scores", "get"): "exportScores",
    ("reports.Lists", "get"): "computeList",
    ("reports.Lists", "post"): "freezeList",
    ("reports.frozen", "get"): "listFrozenLists",
    ("reports.frozen_list", "get"): "getFrozenList",
    ("documents.export_frozen_list", "get"): "exportFrozenList",
    ("audit.verify", "get"): "verifyAuditChain",
}
_ITEM_VERBS = {"get": "get", "put": "put", "patch": "update", "delete": "delete"}


def operation_id(endpoint: str, method: str) -> str:
    """`visits.VisitById` + put → putVisit; `visits.put_findings` + put → putFindings."""
    if (endpoint, method) in OPERATION_IDS:
        return OPERATION_IDS[endpoint, method]
    view = endpoint.rsplit(".", 1)[-1]
    if view[:1].isupper():  # a MethodView: a collection (`Desks`) or an item (`DeskById`)
        if view.endswith("ById"):
            return _ITEM_VERBS[method] + view.removesuffix("ById")
        if method == "get":
            return "list" + view
        if method == "post":
            return "create" + view.removesuffix("s")
        raise APISpecError(f"{endpoint} {method}: name it in OPERATION_IDS")
    head, *rest = view.split("_")
    return head + "".join(word.capitalize() for word in rest)


def request_headers(*names: str) -> dict[str, Any]:
    """`@blp.doc(**request_headers("IfMatch"))`: header parameters (PARAMETERS) a view
    reads, added to those its `arguments` generate (a `parameters` list would replace them)."""
    unknown = set(names) - set(PARAMETERS)
    if unknown:
        raise ValueError(f"unknown header parameters: {sorted(unknown)}")
    return {"x-request-headers": list(names)}


def response_headers(*names: str) -> dict[str, str]:
    """`headers=response_headers("ETag")` on a response: header components (HEADERS)."""
    unknown = set(names) - set(HEADERS)
    if unknown:
        raise ValueError(f"unknown response headers: {sorted(unknown)}")
    return {_HEADER_NAMES[name]: name for name in names}


_HEADER_NAMES = {"RequestId": "X-Request-ID", "ETag": "ETag", "RetryAfter": "Retry-After",
                 "Location": "Location", "ContentDisposition": "Content-Disposition"}


# --- schemas by direction ---------------------------------------------------------------

def _has_input_twin(schema: ma.Schema) -> bool:
    """A schema with fields only the server writes (`dump_only`) is an answer that also
    serves as a body: written, it is another shape, so another component (`DeskInput`).
    Partial schemas (`DeskUpdateSchema`) are bodies only."""
    return not schema.partial and any(field.dump_only for field in schema.fields.values())


class ContractConverter(OpenAPIConverter):
    """Converts a schema as a request body (REQUEST: what a client may send, `required`
    as the schema loads it) or as an answer (RESPONSE: what the server sends; every field
    required unless marked optional). Nested schemas follow their parent's direction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.direction = RESPONSE
        self._shapes: dict[tuple, tuple[str, dict]] = {}

    @contextlib.contextmanager
    def reading(self, direction: str):
        previous, self.direction = self.direction, direction
        try:
            yield
        finally:
            self.direction = previous

    def schema_key(self, schema: ma.Schema) -> tuple:
        twin = self.direction == REQUEST and _has_input_twin(schema)
        return (*make_schema_key(schema), "input" if twin else "")

    def component_name(self, schema) -> str:
        instance = resolve_schema_instance(schema)
        suffix = "Input" if self.schema_key(instance)[-1] else ""
        return self.schema_name_resolver(type(instance)) + suffix

    def resolve_nested_schema(self, schema):
        try:
            instance = resolve_schema_instance(schema)
        except ma.exceptions.RegistryError:
            return schema
        key = self.schema_key(instance)
        if key not in self.refs:
            name = self.component_name(instance)
            if name in self.spec.components.schemas:
                raise APISpecError(f"Two schemas are named {name} in the document: rename one, "
                                   "the names are the generated clients' class names.")
            self.spec.components.schema(name, schema=instance)
        else:
            self._check_one_shape(key, instance)
        return self.get_ref_dict(instance)

    def get_ref_dict(self, schema):
        ref = self.spec.components.get_ref("schema", self.refs[self.schema_key(schema)])
        if getattr(schema, "many", False):
            return {"type": "array", "items": ref}
        return ref

    def _check_one_shape(self, key: tuple, instance: ma.Schema) -> None:
        """A schema without an input twin read both ways must look the same both ways
        (`LocationSchema`); the one component then stays open to added fields, as
        answers are, whichever direction came first."""
        direction, shape = self._shapes[key]
        if direction == self.direction:
            return
        if _open(self.schema2jsonschema(instance)) != _open(shape):
            raise APISpecError(
                f"{type(instance).__name__} is sent and received in different shapes: "
                "give its server-written fields dump_only=True (it then gets an input "
                "twin) or split it into two schemas.")
        self.spec.components.schemas[self.refs[key]].pop("additionalProperties", None)

    def remember_shape(self, key: tuple, shape: dict) -> None:
        self._shapes[key] = (self.direction, shape)

    def schema2jsonschema(self, schema):
        instance = resolve_schema_instance(schema)
        fields = get_fields(instance)
        if self.direction == RESPONSE:
            fields = {name: field for name, field in fields.items() if not field.load_only}
        else:
            fields = {name: field for name, field in fields.items() if not field.dump_only}
        jsonschema = self.fields2jsonschema(
            fields, partial=instance.partial if self.direction == REQUEST else True)
        for prop in jsonschema["properties"].values():
            # The component is one direction's already.
            prop.pop("readOnly", None)
            prop.pop("writeOnly", None)
            if self.direction == RESPONSE:
                prop.pop("default", None)  # what loading fills in; an answer is complete
        if self.direction == RESPONSE:
            required = sorted(field.data_key or name for name, field in fields.items()
                              if not field.metadata.get("optional"))
            if required:
                jsonschema["required"] = required
        elif instance.unknown == ma.RAISE:
            # Answers stay open (a field added later breaks no client); bodies do not.
            jsonschema["additionalProperties"] = False
        meta = getattr(instance, "Meta", None)
        description = getattr(meta, "description", None) or _first_line(type(instance).__doc__)
        if description:
            jsonschema["description"] = description
        return jsonschema


def _open(shape: dict) -> dict:
    return {key: value for key, value in shape.items() if key != "additionalProperties"}


def _first_line(doc: str | None) -> str | None:
    if not doc or not doc.strip():
        return None
    return " ".join(doc.strip().split("\n\n")[0].split())


class ContractResolver(SchemaResolver):
    """Request bodies are read as REQUEST, everything else as RESPONSE."""

    def resolve_operations(self, operations, **kwargs):
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            if "parameters" in operation:
                operation["parameters"] = self.resolve_parameters(operation["parameters"])
            if "requestBody" in operation:
                with self.converter.reading(REQUEST):
                    self.resolve_schema(operation["requestBody"])
            for response in operation.get("responses", {}).values():
                self.resolve_response(response)


def range_exclusivity(converter, field, ret, **kwargs) -> dict:
    """apispec writes a Range's bounds but drops `min_inclusive=False` / `max_inclusive=False`;
    say so in the document (OpenAPI 3.1: the bound moves to exclusiveMinimum/Maximum)."""
    for validator in field.validators:
        if not isinstance(validator, ma.validate.Range):
            continue
        if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
            ret["exclusiveMinimum"] = ret.pop("minimum")
        if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
            ret["exclusiveMaximum"] = ret.pop("maximum")
    return {}


def nullable_enum(converter, field, ret, **kwargs) -> dict:
    """A nullable choice: `anyOf: [{enum}, {type: null}]`, not `null` among the choices,
    which generators turn into an enum member named NULL."""
    enum = ret.get("enum")
    if field.allow_none and enum is not None and None in enum:
        types = [t for t in (ret.pop("type", None) or []) if t != "null"]
        choice = {"enum": [value for value in ret.pop("enum") if value is not None]}
        if types:
            choice = {"type": types[0] if len(types) == 1 else types, **choice}
        ret["anyOf"] = [choice, {"type": "null"}]
    return {}


class ContractMarshmallowPlugin(MarshmallowPlugin):
    Converter = ContractConverter
    Resolver = ContractResolver
    converter: ContractConverter  # made by init_spec, before any helper runs

    def init_spec(self, spec):
        super().init_spec(spec)
        # Here, not after init_app: the error components are converted during it.
        for function in (range_exclusivity, nullable_enum, field_errors_ref):
            self.converter.add_attribute_function(function)

    # MarshmallowPlugin's own signature, which apispec's BasePlugin calls `definition`.
    def schema_helper(self, name, _, schema=None, **kwargs):  # type: ignore[override]
        if schema is None:
            return None
        instance = resolve_schema_instance(schema)
        key = self.converter.schema_key(instance)
        self.converter.refs[key] = name
        shape = self.converter.schema2jsonschema(instance)
        self.converter.remember_shape(key, shape)
        return shape


# --- operations ---------------------------------------------------------------------------

PUBLIC_OPERATIONS = {("/api/v1/auth/login", "post")}
_PROBLEM_SCHEMAS = {409: "ConflictProblem", 422: "ValidationProblem"}


class ContractPlugin(BasePlugin):
    """Completes each operation: its id and security, the error statuses every operation
    can answer (so a view declares only its own), problem+json bodies for every error,
    and the headers the server reads and writes."""

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in [key for key in responses if not isinstance(key, str)]:
                # flask-smorest keys the views' statuses by int; the defaults below by str.
                responses[str(status)] = responses.pop(status)
            if rule is not None and rule.endpoint and "operationId" not in operation:
                operation["operationId"] = operation_id(rule.endpoint, method)
            if operation.pop("x-also-xlsx", False):
                # ?format=xlsx answers the same 200 as a workbook.
                ok = responses["200"]
                ok.setdefault("content", {})[XLSX_MIMETYPE] = {"schema": BINARY}
            if operation.pop("x-also-pdf", False):
                # ?format=pdf answers the same 200 as a document.
                responses["200"].setdefault("content", {})[PDF_MIMETYPE] = {"schema": BINARY}
            headers = operation.pop("x-request-headers", [])
            if not path.startswith("/api/v1/"):
                continue
            if (path, method) in PUBLIC_OPERATIONS:
                operation["security"] = []
            else:
                operation.setdefault("security", [{"bearerAuth": []}])
                responses.setdefault("401", "UNAUTHORIZED")
                responses.setdefault("403", "FORBIDDEN")
            if "{" in path:
                responses.setdefault("404", "NOT_FOUND")
            if "requestBody" in operation or method in {"post", "put", "patch"}:
                responses.setdefault("400", "BAD_REQUEST")
                responses.setdefault("413", "REQUEST_ENTITY_TOO_LARGE")
                responses.setdefault("415", "UNSUPPORTED_MEDIA_TYPE")
            if "requestBody" in operation or operation.get("parameters") or "{" in path:
                responses.setdefault("422", "UNPROCESSABLE_ENTITY")
            # After the line above: a header the server only reads never makes it a 422.
            operation.setdefault("parameters", []).extend([*headers, "RequestId"])
            for status, response in responses.items():
                if isinstance(response, dict):
                    self._complete_response(int(status), response)

    def _complete_response(self, status: int, response: dict) -> None:
        response.setdefault("headers", {}).setdefault("X-Request-ID", "RequestId")
        if status in RETRY_STATUSES:
            response["headers"].setdefault("Retry-After", "RetryAfter")
        if status < 400:
            return
        content = response.setdefault("content", {})
        json_body = content.pop("application/json", None)
        if json_body is not None:  # alt_response(schema=...): an error is problem+json
            content[PROBLEM_MIMETYPE] = json_body
        content.setdefault(PROBLEM_MIMETYPE, {
            "schema": self.spec.components.get_ref("schema", _PROBLEM_SCHEMAS.get(status, "Problem"))})


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """errors.register_error_handlers installs the handlers; nothing to add here."""

    def _register_pagination_header(self):
        """Lists page by keyset (pagination.py), not by flask-smorest's header."""

    def _register_responses(self):
        self.spec.components.schema("FieldErrors", FIELD_ERRORS)
        self.spec.components.schema("Problem", schema=ProblemSchema)
        self.spec.components.schema("ValidationProblem", schema=ValidationProblemSchema)
        self.spec.components.schema("ConflictProblem", schema=ConflictProblemSchema)
        for name, header in HEADERS.items():
            self.spec.components.header(name, header, lazy=True)
        for name, parameter in PARAMETERS.items():
            fields = {key: value for key, value in parameter.items() if key != "in"}
            self.spec.components.parameter(name, parameter["in"], fields, lazy=True)
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response: dict[str, Any] = {"description": status.phrase, "headers": {"X-Request-ID": "RequestId"},
                        "schema": _PROBLEM_SCHEMAS.get(status, "Problem")}
            if status in RETRY_STATUSES:
                response["headers"]["Retry-After"] = "RetryAfter"
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)


def make_api(app) -> ProblemApi:
    # Before any blueprint adds its rules: converters are bound when a rule is added.
    app.url_map.converters["int"] = IdConverter
    api = ProblemApi()
    api.init_app(app, spec_kwargs={"marshmallow_plugin": ContractMarshmallowPlugin(),
                                   "extra_plugins": [ContractPlugin()]})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    return api
