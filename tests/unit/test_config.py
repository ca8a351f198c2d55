"""Settings come from the environment only, and unusable ones stop the app at start."""

from __future__ import annotations

import datetime as dt

import pytest

from inspect_api.app import create_app
from inspect_api.config import INSTANCE_DIR, SETTINGS, ConfigError, load_settings

GOOD_KEY = "k" * 32
# What production needs besides the secret (links in exports, the hosts it answers to).
PRODUCTION = {"APP_ENV": "production", "PUBLIC_BASE_URL": "https://giamsat.tinh.gov.vn",
              "TRUSTED_HOSTS": "giamsat.tinh.gov.vn"}


def test_defaults():
    config = load_settings({})
    assert config["APP_ENV"] == "development"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{INSTANCE_DIR / 'inspect.db'}"
    assert config["ARGON2_MEMORY_KIB"] == 19456
    assert config["ARGON2_TIME_COST"] == 2
    assert config["ARGON2_PARALLELISM"] == 1
    assert config["LOGIN_FAILURE_LIMIT"] == "5 per 5 minutes"
    assert config["ACCESS_TOKEN_MINUTES"] == 15
    assert config["REFRESH_TOKEN_DAYS"] >= 7
    assert config["STORAGE_BACKEND"] == "local"
    assert config["CORS_ORIGINS"] == []
    assert config["MINIO_SECURE"] is True


def test_every_setting_is_read_from_the_environment():
    names = {s.env for s in SETTINGS}
    assert {"DATABASE_URL", "JWT_SECRET_KEY", "STORAGE_BACKEND", "STORAGE_DIR",
            "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_BUCKET"} <= names
    for setting in SETTINGS:
        assert setting.meaning


def test_values_are_parsed():
    config = load_settings({
        "DATABASE_URL": "postgresql+psycopg://u:p@db:5432/inspect",
        "ACCESS_TOKEN_MINUTES": "5",
        "CORS_ORIGINS": "https://a.example, https://b.example,",
        "MINIO_SECURE": "false",
        "STORAGE_BACKEND": "minio",
        "LOGIN_FAILURE_LIMIT": "3 per minute",
    })
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/inspect"
    assert config["ACCESS_TOKEN_MINUTES"] == 5
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["MINIO_SECURE"] is False
    assert config["STORAGE_BACKEND"] == "minio"
    assert config["LOGIN_FAILURE_LIMIT"] == "3 per minute"


def test_production_without_secret_is_refused():
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_settings({"APP_ENV": "production"})
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_settings({"APP_ENV": "production", "JWT_SECRET_KEY": ""})


def test_production_with_short_secret_is_refused():
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_settings({"APP_ENV": "production", "JWT_SECRET_KEY": "k" * 31})


def test_production_with_long_secret_is_accepted():
    config = load_settings({**PRODUCTION, "JWT_SECRET_KEY": GOOD_KEY})
    assert config["APP_ENV"] == "production"
    assert config["JWT_SECRET_KEY"] == GOOD_KEY


def test_development_secret_is_generated_and_stable():
    first = load_settings({})["JWT_SECRET_KEY"]
    assert len(first) >= 32
    # The same across loads (worker processes, restarts), so tokens keep working.
    assert load_settings({})["JWT_SECRET_KEY"] == first
    assert load_settings({"JWT_SECRET_KEY": "given"})["JWT_SECRET_KEY"] == "given"


@pytest.mark.parametrize("mode", ["staging", "prod", "Production", ""])
def test_unknown_app_env_is_refused(mode):
    with pytest.raises(ConfigError, match="APP_ENV"):
        load_settings({"APP_ENV": mode, "JWT_SECRET_KEY": GOOD_KEY})


@pytest.mark.parametrize("backend", ["s3", "LOCAL", ""])
def test_unknown_storage_backend_is_refused(backend):
    with pytest.raises(ConfigError, match="STORAGE_BACKEND"):
        load_settings({"STORAGE_BACKEND": backend})


@pytest.mark.parametrize("env,value", [
    ("ACCESS_TOKEN_MINUTES", "fifteen"),
    ("ARGON2_MEMORY_KIB", "19MiB"),
    ("MINIO_SECURE", "perhaps"),
])
def test_unparseable_values_are_refused(env, value):
    with pytest.raises(ConfigError, match=env):
        load_settings({env: value})


def test_create_app_refuses_production_without_secret():
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        create_app(environ={"APP_ENV": "production"})


def test_create_app_reads_only_the_given_environment(tmp_path):
    app = create_app(environ={
        **PRODUCTION, "JWT_SECRET_KEY": GOOD_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}", "ACCESS_TOKEN_MINUTES": "10",
        "MAX_REQUEST_BYTES": "1000",
    })
    assert app.config["JWT_SECRET_KEY"] == GOOD_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'prod.db'}"
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == dt.timedelta(minutes=10)
    assert app.config["MAX_CONTENT_LENGTH"] == 1000
    assert not app.config.get("TESTING")


def test_invalid_bucket_name_is_refused_at_startup():
    with pytest.raises(ConfigError, match="MINIO_BUCKET"):
        load_settings({"STORAGE_BACKEND": "minio", "MINIO_BUCKET": "Evidence_Bucket"})
    minio = load_settings({"STORAGE_BACKEND": "minio", "MINIO_BUCKET": "inspect-evidence"})
    assert minio["MINIO_BUCKET"] == "inspect-evidence"


@pytest.mark.parametrize("missing", ["PUBLIC_BASE_URL", "TRUSTED_HOSTS"])
def test_production_without_public_base_url_or_trusted_hosts_is_refused(missing):
    environ = {**PRODUCTION, "JWT_SECRET_KEY": GOOD_KEY}
    for value in (None, "", " , "):
        if value is None:
            environ.pop(missing)
        else:
            environ[missing] = value
        with pytest.raises(ConfigError, match=missing):
            load_settings(environ)
        with pytest.raises(ConfigError, match=missing):
            create_app(environ=environ)


def test_public_base_url_and_trusted_hosts():
    config = load_settings({"PUBLIC_BASE_URL": "https://giamsat.tinh.gov.vn/app/",
                            "TRUSTED_HOSTS": " Giamsat.Tinh.gov.vn, .noi-vu.gov.vn,10.0.0.5 ,"})
    assert config["PUBLIC_BASE_URL"] == "https://giamsat.tinh.gov.vn/app"
    assert config["TRUSTED_HOSTS"] == ["giamsat.tinh.gov.vn", ".noi-vu.gov.vn", "10.0.0.5"]
    # Outside production, empty means the address `make run` serves, and any host.
    config = load_settings({})
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["TRUSTED_HOSTS"] == []
    assert load_settings({"EVIDENCE_MAX_DECODE_BYTES": "1000"})["EVIDENCE_MAX_DECODE_BYTES"] == 1000
    assert load_settings({})["EVIDENCE_MAX_DECODE_BYTES"] == 64 * 1024 * 1024


@pytest.mark.parametrize("env,value", [
    ("PUBLIC_BASE_URL", "giamsat.tinh.gov.vn"),
    ("PUBLIC_BASE_URL", "ftp://giamsat.tinh.gov.vn"),
    ("PUBLIC_BASE_URL", "https://"),
    ("PUBLIC_BASE_URL", "https://giamsat.tinh.gov.vn/?x=1"),
    ("PUBLIC_BASE_URL", "https://user:pass@giamsat.tinh.gov.vn"),
    ("TRUSTED_HOSTS", "https://giamsat.tinh.gov.vn"),
    ("EVIDENCE_MAX_DECODE_BYTES", "64MiB"),
])
def test_unusable_link_and_host_settings_are_refused(env, value):
    with pytest.raises(ConfigError, match=env):
        load_settings({env: value})

# --- login throttling ----------------------------------------------------------------------

def test_throttle_defaults():
    config = load_settings({})
    assert config["RATELIMIT_STORAGE_URI"] == "database"
    assert config["LOGIN_USERNAME_FAILURE_LIMIT"] == "20 per hour"
    assert config["LOGIN_ADDRESS_FAILURE_LIMIT"] == "50 per hour"
    assert config["LOGIN_TRUSTED_ADDRESS_DAYS"] == 30


@pytest.mark.parametrize("env,value", [
    ("LOGIN_FAILURE_LIMIT", "five"),
    ("LOGIN_FAILURE_LIMIT", "5 per fortnight"),
    ("LOGIN_FAILURE_LIMIT", "0 per minute"),
    ("LOGIN_FAILURE_LIMIT", "5 per minute; 20 per hour"),
    ("LOGIN_FAILURE_LIMIT", ""),  # the main count cannot be switched off
    ("LOGIN_USERNAME_FAILURE_LIMIT", "lots"),
    ("LOGIN_ADDRESS_FAILURE_LIMIT", "-3 per hour"),
    ("LOGIN_TRUSTED_ADDRESS_DAYS", "-1"),
    ("LOGIN_TRUSTED_ADDRESS_DAYS", "a month"),
])
def test_unusable_throttle_limits_are_refused(env, value):
    with pytest.raises(ConfigError, match=env):
        load_settings({env: value})


def test_ceilings_can_be_empty():
    config = load_settings({"LOGIN_USERNAME_FAILURE_LIMIT": "", "LOGIN_ADDRESS_FAILURE_LIMIT": " "})
    assert config["LOGIN_USERNAME_FAILURE_LIMIT"] == "" and config["LOGIN_ADDRESS_FAILURE_LIMIT"] == ""


@pytest.mark.parametrize("uri", ["database", "", "redis://redis.internal:6379/0",
                                 "rediss://:secret@redis.internal:6380/1"])
def test_shared_throttle_storage_is_accepted_in_production(uri):
    config = load_settings({**PRODUCTION, "JWT_SECRET_KEY": GOOD_KEY, "RATELIMIT_STORAGE_URI": uri})
    assert config["RATELIMIT_STORAGE_URI"] == uri


def test_memory_throttle_storage_is_refused_in_production():
    # Each worker would count alone: two workers, twice the guesses.
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        load_settings({**PRODUCTION, "JWT_SECRET_KEY": GOOD_KEY, "RATELIMIT_STORAGE_URI": "memory://"})
    assert load_settings({"RATELIMIT_STORAGE_URI": "memory://"})["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("uri", ["memcached://127.0.0.1:11211", "mongodb://db", "redis", "postgres://x"])
def test_unknown_throttle_storage_is_refused(uri):
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        load_settings({"RATELIMIT_STORAGE_URI": uri})


def test_redis_storage_starts_without_reaching_redis(tmp_path):
    # The client is installed (the `redis` extra) and connects on first use only, so a
    # Redis that is restarting does not stop the API from starting.
    app = create_app(environ={"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
                              "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.extensions["login_throttle"] is not None
