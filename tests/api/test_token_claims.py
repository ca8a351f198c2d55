"""Tokens signed with the real secret but without the claims login makes are refused with
a 401 problem+json: a missing or wrong `type`, a missing `sid`, `ver`, `role`, `sub` or
`exp`, garbage or huge values, `alg: none` and other algorithms. The tokens are made here
with PyJWT, as an attacker holding a leaked-but-valid signing path would."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from tests.conftest import DEMO_PASSWORD

PROBLEM = "application/problem+json"
ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"
MISSING = object()


@pytest.fixture
def real(app, client, demo):
    """The claims of a real access and refresh token, and a signer with the real secret."""
    response = client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    tokens = response.get_json()
    secret = app.config["JWT_SECRET_KEY"]
    decode = lambda token: jwt.decode(token, secret, algorithms=["HS256"])  # noqa: E731
    return {"access": decode(tokens["access_token"]), "refresh": decode(tokens["refresh_token"]),
            "secret": secret}


def _sign(real, claims: dict, **kwargs) -> str:
    return jwt.encode(claims, kwargs.pop("key", real["secret"]), algorithm=kwargs.pop("algorithm", "HS256"),
                      **kwargs)


def _with(claims: dict, **changes) -> dict:
    out = dict(claims)
    for key, value in changes.items():
        if value is MISSING:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _refused(response):
    assert response.status_code == 401, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def _me(client, token: str):
    return client.get(ME, headers={"Authorization": f"Bearer {token}"})


def test_the_real_claims_re_signed_here_are_accepted(client, real):
    """The control: what the other tests change is the only reason they are refused."""
    assert _me(client, _sign(real, real["access"])).status_code == 200
    assert client.post(REFRESH, headers={"Authorization": f"Bearer {_sign(real, real['refresh'])}"}).status_code == 200


@pytest.mark.parametrize("claim", ["type", "sid", "ver", "role", "sub", "exp", "iat"])
def test_an_access_token_without_a_claim_is_refused(client, real, claim):
    _refused(_me(client, _sign(real, _with(real["access"], **{claim: MISSING}))))


@pytest.mark.parametrize("claim", ["type", "sid", "ver", "role", "sub", "exp"])
def test_a_refresh_token_without_a_claim_is_refused(client, real, claim):
    token = _sign(real, _with(real["refresh"], **{claim: MISSING}))
    _refused(client.post(REFRESH, headers={"Authorization": f"Bearer {token}"}))


@pytest.mark.parametrize("token_type", ["refresh", "Access", "id", "", None, 1, ["access"]])
def test_an_access_token_of_another_type_is_refused(client, real, token_type):
    _refused(_me(client, _sign(real, _with(real["access"], type=token_type))))


def test_an_access_token_is_not_a_refresh_token(client, real):
    _refused(client.post(REFRESH, headers={"Authorization": f"Bearer {_sign(real, real['access'])}"}))


@pytest.mark.parametrize("changes", [
    {"sub": "abc"}, {"sub": "0"}, {"sub": "-1"}, {"sub": " 1"}, {"sub": "1" * 5000}, {"sub": 1},
    {"sid": "x" * 10_000}, {"sid": ["a"]}, {"sid": {"$ne": ""}}, {"sid": ""}, {"sid": 12345},
    {"ver": "1"}, {"ver": True}, {"ver": 1.0}, {"ver": 10**30}, {"ver": 0}, {"ver": None},
    {"role": "superadmin"}, {"role": ["admin"]}, {"role": "admin" * 2000}, {"role": None},
    {"exp": "tomorrow"}, {"exp": 10**30}, {"iat": "now"},
    {"org": "TQ"}, {"org": [1]},
], ids=lambda changes: ",".join(f"{k}={str(v)[:12]}" for k, v in changes.items()))
def test_garbage_or_huge_claim_values_are_refused(client, real, changes):
    _refused(_me(client, _sign(real, _with(real["access"], **changes))))


def test_alg_none_and_other_algorithms_are_refused(client, real):
    _refused(_me(client, jwt.encode(real["access"], None, algorithm="none")))
    # The same claims under HS512 with the real secret: only HS256 is accepted.
    _refused(_me(client, _sign(real, real["access"], algorithm="HS512")))
    # A header claiming none over a real HS256 signature.
    _, payload, signature = _sign(real, real["access"]).split(".")
    none_header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    _refused(_me(client, f"{none_header}.{payload}.{signature}"))
    _refused(_me(client, f"{none_header}.{payload}."))


def test_a_huge_or_mangled_token_is_refused(client, real):
    _refused(_me(client, _sign(real, _with(real["access"], padding="x" * 200_000))))
    _refused(_me(client, "a" * 100_000))
    _refused(_me(client, "a.b.c"))
    _refused(_me(client, _sign(real, real["access"], key="another-secret-" + "y" * 32)))
    expired = _with(real["access"], exp=int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp()))
    _refused(_me(client, _sign(real, expired)))
