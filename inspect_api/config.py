"""Settings, read from environment variables only.

Every setting is listed in SETTINGS with its default and meaning; the README's settings
table is generated from the same list, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limits import parse_many

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
# RATELIMIT_STORAGE_URI values: the app's database, or Redis through `limits`.
THROTTLE_DATABASE = "database"
THROTTLE_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://",
                          "redis+cluster://")


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the app refuses to start."""


def _bool(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _base_url(value: str) -> str:
    """An absolute http(s) URL without query or fragment, kept without a trailing slash."""
    from urllib.parse import urlsplit

    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise ValueError(f"not an absolute http(s) URL without query, e.g. https://giamsat.tinh.gov.vn: {value!r}")
    return value.rstrip("/")


def _hosts(value: str) -> list[str]:
    hosts = [host.lower() for host in _list(value)]
    for host in hosts:
        if "/" in host or " " in host:
            raise ValueError(f"a host name, not a URL: {host!r}")
    return hosts

SMTP_SCHEMES = ("smtp", "smtps", "smtp+starttls")


def _smtp_url(value: str) -> str:
    """smtp://host:port (plain), smtp+starttls://user:pass@host:587 or
    smtps://user:pass@host:465 (TLS from the start); empty = no e-mail."""
    from urllib.parse import urlsplit

    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"not an SMTP URL such as smtps://user:pass@mail.tinh.gov.vn:465: {value!r}")
    parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    return value


def _rate_limit(value: str) -> str:
    """A `limits` rate string such as `5 per 5 minutes`, checked at startup."""
    try:
        items = parse_many(value)
    except ValueError:
        raise ValueError(f"not a rate limit such as '5 per 5 minutes': {value!r}") from None
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError(f"give one limit of at least 1 such as '5 per 5 minutes': {value!r}")
    return value.strip()


def _optional_rate_limit(value: str) -> str:
    return _rate_limit(value) if value.strip() else ""


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"must be 0 or more: {value!r}")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"must be 1 or more: {value!r}")
    return number


def _auto_bool(value: str) -> bool | None:
    """`auto` (None: decided from APP_ENV) or a boolean."""
    return None if value.strip().lower() == "auto" else _bool(value)


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None
    meaning: str
    parse: Callable[[str], Any] = str
    config_key: str | None = None  # Flask config key, when it differs from env


SETTINGS: list[Setting] = [
    Setting("APP_ENV", "development",
            "`development`, `production` or `testing`. Production refuses to start without "
            "`JWT_SECRET_KEY`, `PUBLIC_BASE_URL` and `TRUSTED_HOSTS`."),
    Setting("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'inspect.db'}",
            "SQLAlchemy URL of the database, e.g. "
            "`postgresql+psycopg://user:pass@host:5432/inspect`.",
            config_key="SQLALCHEMY_DATABASE_URI"),
    Setting("JWT_SECRET_KEY", None,
            "Secret that signs the tokens (32+ random characters). Required in production; "
            "development generates one into `instance/dev-jwt-secret`."),
    Setting("ACCESS_TOKEN_MINUTES", "15", "Lifetime of an access token.", int),
    Setting("REFRESH_TOKEN_DAYS", "10",
            "Lifetime of a refresh token: long enough for a week offline.", int),
    Setting("ARGON2_TIME_COST", "2", "argon2id iterations (OWASP: 2).", int),
    Setting("ARGON2_MEMORY_KIB", "19456", "argon2id memory in KiB (OWASP: 19 MiB).", int),
    Setting("ARGON2_PARALLELISM", "1", "argon2id parallelism (OWASP: 1).", int),
    Setting("LOGIN_FAILURE_LIMIT", "5 per 5 minutes",
            "Failed logins one username may make from one address before 429 (the main "
            "count; see *Login throttling*).", _rate_limit),
    Setting("RATELIMIT_STORAGE_URI", "database",
            "Where login-throttling counters live: `database` (or empty) = the app's own "
            "database, shared by every worker; `redis://host:6379/0` = Redis (install the "
            "`redis` extra); `memory://` = this process only (one worker; refused in "
            "production)."),
    Setting("RATELIMIT_KEY_PREFIX", "inspect-api",
            "Prefix of the counters' keys in Redis, so deployments can share a server."),
    Setting("LOGIN_USERNAME_FAILURE_LIMIT", "20 per hour",
            "Ceiling on failed logins of one username from all addresses together (against "
            "distributed guessing); empty = none.", _optional_rate_limit),
    Setting("LOGIN_ADDRESS_FAILURE_LIMIT", "50 per hour",
            "Ceiling on failed logins from one address (an IPv6 /64) for all usernames "
            "together (against password spraying); empty = none.", _optional_rate_limit),
    Setting("LOGIN_TRUSTED_ADDRESS_DAYS", "30",
            "An address that logged in successfully as a user is trusted for that user this "
            "many days: only the per-username-and-address limit applies to it, so attacks "
            "from elsewhere never lock the user out there. 0 = trust no address.",
            _non_negative_int),
    Setting("TRUSTED_PROXY_COUNT", "0",
            "How many reverse proxies set `X-Forwarded-For` in front of the API (for the "
            "client address used in throttling).", int),
    Setting("CORS_ORIGINS", "",
            "Comma-separated origins allowed to call the API from a browser; empty = none.",
            _list),
    Setting("MAX_REQUEST_BYTES", str(2 * 1024 * 1024),
            "Largest JSON request body in bytes (413 above).", int),
    Setting("SYNC_MAX_FINDINGS", "500", "Most findings in one sync batch (413 above).", int),
    Setting("PAGE_SIZE_DEFAULT", "50", "Page size when the client gives none.", int),
    Setting("PAGE_SIZE_MAX", "200", "Largest page size a client may ask for (422 above).",
            int),
    Setting("STORAGE_BACKEND", "local", "`local` (a directory) or `minio` (S3-compatible)."),
    Setting("STORAGE_DIR", str(INSTANCE_DIR / "objects"),
            "Directory of the `local` object store."),
    Setting("MINIO_ENDPOINT", "127.0.0.1:9000", "host:port of the S3-compatible server."),
    Setting("MINIO_ACCESS_KEY", "", "Access key for the object store."),
    Setting("MINIO_SECRET_KEY", "", "Secret key for the object store."),
    Setting("MINIO_BUCKET", "inspect-evidence", "Bucket for evidence (created if missing, "
            "kept private)."),
    Setting("MINIO_SECURE", "true", "Use HTTPS to reach the object store.", _bool),
    Setting("MINIO_REGION", "", "Region of the bucket, if the server needs one."),
    Setting("EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024),
            "Largest photo upload in bytes (413 above).", int),
    Setting("EVIDENCE_MAX_PIXELS", "50000000",
            "Largest photo in pixels (width × height); more is refused as a decompression "
            "bomb (422).", int),
    Setting("EVIDENCE_URL_SECONDS", "300",
            "How long a presigned download URL for a photo stays valid.", int),
    Setting("EVIDENCE_MAX_DECODE_BYTES", str(64 * 1024 * 1024),
            "Most memory in bytes that decoding one photo for its thumbnail may take, "
            "computed from its header before anything is decoded; more is refused (422). "
            "Phone JPEGs are decoded at reduced scale and cost a few MiB whatever their "
            "megapixels; the default 64 MiB also admits PNGs up to about 16 MP (8 MP with "
            "transparency), WebP up to about 4 MP, and progressive JPEGs up to about 22 MP.",
            int),
    Setting("EVIDENCE_TIME_GRACE_MINUTES", "30",
            "A photo whose EXIF capture time lies more than this many minutes before the "
            "visit started or after it ended is flagged `outside` (a tablet's clock drifts).",
            _non_negative_int),
    Setting("EVIDENCE_MAX_DISTANCE_METERS", "300",
            "A photo whose EXIF GPS lies farther than this from the desk's coordinates is "
            "flagged `far` (phone GPS indoors is often 50-100 m off).", _positive_int),
    Setting("PUBLIC_BASE_URL", "",
            "The API's address as users reach it, e.g. `https://giamsat.tinh.gov.vn`: the "
            "base of every absolute link the app writes (photo links in Excel exports), "
            "never the request's `Host`. Required in production; empty elsewhere means "
            "`http://127.0.0.1:5000` (what `make run` serves).", _base_url),
    Setting("TRUSTED_HOSTS", "",
            "Comma-separated host names the API answers to (Flask's `TRUSTED_HOSTS`; a "
            "leading dot admits subdomains, e.g. `.tinh.gov.vn`); another `Host` gets 400. "
            "Required in production: list the public name and whatever the load balancer's "
            "health checks send. Empty (development only) = any host.", _hosts),
    Setting("EXPLANATION_DAYS", "5",
            "Default days an official has to explain (giải trình) when the reviewer sets no deadline.", int),
    Setting("CORRECTION_DAYS_CRITICAL", "7",
            "Days a unit has to correct a critical failure, from the day its visit is approved.", int),
    Setting("CORRECTION_DAYS_MAJOR", "15",
            "Days a unit has to correct a major failure, from the day its visit is approved.", int),
    Setting("CORRECTION_DAYS_MINOR", "30",
            "Days a unit has to correct a minor failure, from the day its visit is approved.", int),
    Setting("LIST_STAFF_CRITICISM_MAJOR", "1",
            "Major failures of one official in a period that put them on the criticism list.", int),
    Setting("LIST_STAFF_CRITICISM_MINOR", "2",
            "Minor failures of one official in a period that put them on the criticism list.", int),
    Setting("LIST_REPEAT_MONTHS", "12",
            "A major failure within this many months after a signed phê bình is a repeat "
            "(tái phạm) and proposes discipline.", int),
    Setting("LIST_UNIT_MIN_SCORE", "70",
            "A unit's mean score (%) below this criticises its head.", float),
    Setting("LIST_UNIT_DOS01_MIN", "90",
            "On-time dossier rate (DOS-01, %) below this criticises the unit's head.", float),
    Setting("LIST_UNIT_DOS03_MIN", "100",
            "Apology-slip rate for overdue dossiers (DOS-03, %) below this criticises the "
            "unit's head.", float),
    Setting("LIST_UNIT_CORRECTIONS_MISSED", "1",
            "Corrections a unit missed in a period (not reported by the deadline, or found not "
            "fixed when re-checked) that criticise its head.", int),
    Setting("LIST_COMMEND_MIN_VISITS", "2",
            "Approved visits a unit (or official on duty) needs in a period to be commended.", int),
    Setting("LIST_COMMEND_MIN_SCORE", "95", "A unit's mean score (%) needed for commendation.", float),
    Setting("AUDIT_KEY", "",
            "Secret (32+ random characters) that signs the audit chain-head anchors and keys "
            "the tag of unknown names in failed logins. Empty: derived from "
            "`JWT_SECRET_KEY`; set it to rotate the two apart."),
    Setting("AUDIT_ANCHOR_EVERY", "100",
            "Write a signed anchor of the audit chain head to the object store each time "
            "this many more events are recorded (after the commit, in the background); "
            "0 = only by `flask audit anchor`.", _non_negative_int),
    Setting("CONSOLE_SESSION_HOURS", "8",
            "How long a web console sign-in lasts (a working day); signing out, a password "
            "or role change or a disabled account ends it sooner.", int),
    Setting("CONSOLE_COOKIE_SECURE", "auto",
            "Send the console's session cookie over HTTPS only: `true`, `false`, or `auto` "
            "(true unless `APP_ENV` is `development` or `testing`, which `make run` serves "
            "over plain HTTP).", _auto_bool),
    Setting("SMTP_URL", "",
            "Mail server for `flask corrections remind` (the daily digest of corrections due "
            "this week and overdue): `smtp://host:25`, `smtp+starttls://user:pass@host:587` or "
            "`smtps://user:pass@host:465`. Empty: no e-mail (the command refuses to run).",
            _smtp_url),
    Setting("SMTP_FROM", "giamsat-motcua@localhost",
            "Sender address of the digest e-mails."),
    Setting("DEMO_PASSWORD", "",
            "Password of the demo users made by `flask seed demo`; generated and printed "
            "when empty."),
    Setting("LOG_LEVEL", "INFO", "Python logging level."),
]

MODES = {"development", "production", "testing"}
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _development_secret() -> str:
    """A secret kept in instance/, so every worker process and restart of a development
    server signs and accepts the same tokens. Never used in production."""
    path = INSTANCE_DIR / "dev-jwt-secret"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting from the environment into a Flask config mapping."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env, setting.default)
        key = setting.config_key or setting.env
        if raw is None:
            config[key] = None
            continue
        try:
            config[key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}: {exc}") from exc
    mode = config["APP_ENV"]
    if mode not in MODES:
        raise ConfigError(f"APP_ENV must be one of {sorted(MODES)}, not {mode!r}")
    if config["STORAGE_BACKEND"] not in {"local", "minio"}:
        raise ConfigError("STORAGE_BACKEND must be 'local' or 'minio'")
    if config["STORAGE_BACKEND"] == "minio" and not _BUCKET_NAME.match(config["MINIO_BUCKET"]):
        # Caught here, a typo is a startup error instead of an endless 503 on uploads.
        raise ConfigError(f"MINIO_BUCKET is not a valid bucket name: {config['MINIO_BUCKET']!r}")
    _check_throttle_storage(config["RATELIMIT_STORAGE_URI"], mode)
    if not config["JWT_SECRET_KEY"]:
        if mode == "production":
            raise ConfigError("JWT_SECRET_KEY must be set in production")
        config["JWT_SECRET_KEY"] = _development_secret()
    elif mode == "production" and len(config["JWT_SECRET_KEY"]) < 32:
        raise ConfigError("JWT_SECRET_KEY must be at least 32 characters in production")
    if mode == "production":
        # Links in signed exports must be right, and a Host header must not choose them.
        for required in ("PUBLIC_BASE_URL", "TRUSTED_HOSTS"):
            if not config[required]:
                raise ConfigError(f"{required} must be set in production")
    elif not config["PUBLIC_BASE_URL"]:
        config["PUBLIC_BASE_URL"] = DEVELOPMENT_BASE_URL
    if mode == "production" and config["AUDIT_KEY"] and len(config["AUDIT_KEY"]) < 32:
        raise ConfigError("AUDIT_KEY must be at least 32 characters in production")
    return config


def _check_throttle_storage(uri: str, mode: str) -> None:
    if uri in ("", THROTTLE_DATABASE) or uri.startswith(THROTTLE_REDIS_SCHEMES):
        return
    if uri == "memory://":
        if mode == "production":
            # Each worker would count alone: N workers let N times the limit through.
            raise ConfigError("RATELIMIT_STORAGE_URI=memory:// counts per process; use "
                              "'database' or redis:// in production")
        return
    raise ConfigError(f"RATELIMIT_STORAGE_URI must be 'database', redis://... or memory://, "
                      f"not {uri!r}")
