"""Login throttling that slows a guesser without locking the real official out.

Three failure counters, as the OWASP Authentication Cheat Sheet advises:

- per (username, address), LOGIN_FAILURE_LIMIT: the main count;
- per username over all addresses, LOGIN_USERNAME_FAILURE_LIMIT: a higher ceiling
  against guessing one account from many addresses;
- per address over all usernames, LOGIN_ADDRESS_FAILURE_LIMIT: against spraying one
  password over many accounts.

A (username, address) pair that logged in successfully within LOGIN_TRUSTED_ADDRESS_DAYS
is OWASP's "device cookie" applied to the address: only its own per-pair counter applies
to it. So an attacker hammering an official's username from elsewhere, or spraying from
elsewhere, never refuses the official at the address they normally use.

An attempt is counted *before* its password is checked and given back when the login
succeeds. Counting first (an atomic increment) is what stops concurrent attempts from
all passing a check that only one of them should pass; giving back keeps the rule that
successful logins never count. An attempt refused with 429 is given back too, and its
password is never checked: refused attempts neither count nor teach the attacker
anything, so a throttled attacker cannot push the per-username ceiling higher.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem, parse

from ..audit.anchors import audit_secret
from ..db import db
from ..errors import AppError
from ..requests import request_origin
from . import service
from .counters import Counters, CountersUnavailable, counters_from_setting
from .passwords import password_hasher
from .tokens import issue_tokens

log = logging.getLogger(__name__)

EXTENSION = "login_throttle"
UNAVAILABLE_RETRY_SECONDS = 30


class LoginThrottled(AppError):
    status = 429
    type_slug = "too-many-requests"


class ThrottleUnavailable(AppError):
    status = 503
    type_slug = "service-unavailable"


@dataclass(frozen=True)
class Rule:
    kind: str            # "pair", "user" or "addr": part of the key
    limit: RateLimitItem

    @property
    def window(self) -> int:
        return int(self.limit.get_expiry())


@dataclass
class Attempt:
    """What one login attempt reserved, to give back if it succeeds."""

    keys: list[tuple[str, int]]
    trust_key: str


class LoginThrottle:
    def __init__(self, counters: Counters, secret: str, pair: str, per_user: str,
                 per_address: str, trusted_days: int):
        self.counters = counters
        self._secret = secret.encode()
        self.pair = Rule("pair", parse(pair))
        # An empty ceiling is switched off (e.g. when every client reaches the API
        # through one address that TRUSTED_PROXY_COUNT cannot see past).
        self.per_user = Rule("user", parse(per_user)) if per_user else None
        self.per_address = Rule("addr", parse(per_address)) if per_address else None
        self.trusted_seconds = trusted_days * 24 * 3600

    def _key(self, kind: str, *parts: str) -> str:
        # A keyed digest: bounded length, and the store never holds what was typed.
        message = "\x00".join(parts).encode("utf-8", "surrogatepass")
        return f"{kind}:{hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]}"

    def reserve(self, username: str, address: str) -> Attempt:
        """Count this attempt on every counter that applies, or raise LoginThrottled
        (nothing counted) if one of them is already full."""
        name, where = normalize_username(username), address_bucket(address)
        trust_key = self._key("trusted", name, where)
        taken: list[tuple[str, int]] = []
        try:
            trusted = self.trusted_seconds > 0 and self.counters.get(trust_key) > 0
            # The main count first: an attempt it refuses never touches the ceilings.
            rules: list[tuple[Rule, tuple[str, ...]]] = [(self.pair, (name, where))]
            if not trusted:
                rules += [(rule, parts) for rule, parts in
                          ((self.per_user, (name,)), (self.per_address, (where,))) if rule]
            for rule, parts in rules:
                key = self._key(rule.kind, *parts)
                count = self.counters.incr(key, rule.window)
                taken.append((key, rule.window))
                if count > rule.limit.amount:
                    wait = self.counters.seconds_left(key)
                    self._give_back(taken)
                    raise _throttled(wait)
        except CountersUnavailable as exc:
            self._give_back(taken)
            # Fail closed: without counters, passwords could be guessed at full speed.
            log.error("login throttle: counter store unavailable: %s", exc)
            raise ThrottleUnavailable(
                "Dịch vụ đăng nhập tạm thời không sẵn sàng. Vui lòng thử lại sau.",
                headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}) from None
        return Attempt(keys=taken, trust_key=trust_key)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt does not count, and its address is now
        trusted for that username."""
        self._give_back(attempt.keys)
        if self.trusted_seconds > 0:
            try:
                self.counters.mark(attempt.trust_key, self.trusted_seconds)
            except CountersUnavailable as exc:
                log.warning("login throttle: could not trust an address: %s", exc)

    def _give_back(self, taken: list[tuple[str, int]]) -> None:
        """Best effort: a count the store fails to give back costs one attempt, which
        is better than failing a login that succeeded. Each key is given back once, and
        the list is emptied so it never is twice."""
        while taken:
            key, window = taken.pop()
            try:
                self.counters.give_back(key, window)
            except CountersUnavailable as exc:
                log.warning("login throttle: could not give back a count: %s", exc)

    def reset(self) -> None:
        self.counters.reset()


def _throttled(wait_seconds: float) -> LoginThrottled:
    seconds = max(1, math.ceil(wait_seconds))
    when = f"{seconds} giây" if seconds < 120 else f"{math.ceil(seconds / 60)} phút"
    return LoginThrottled(
        f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {when}.",
        headers={"Retry-After": str(seconds)})


def normalize_username(username: str) -> str:
    """The spelling service.login looks the user up by, so every spelling of one name
    shares its counters."""
    return username.strip().lower()


def address_bucket(address: str) -> str:
    """The unit an address counter counts: an IPv4 address, or the /64 network of an
    IPv6 address (one subscriber usually holds a whole /64, so counting single IPv6
    addresses would give an attacker billions of fresh counters)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def init_login_throttle(app: Flask) -> None:
    config = app.config
    app.extensions[EXTENSION] = LoginThrottle(
        counters_from_setting(config["RATELIMIT_STORAGE_URI"], config["RATELIMIT_KEY_PREFIX"]),
        secret=config["JWT_SECRET_KEY"],
        pair=config["LOGIN_FAILURE_LIMIT"],
        per_user=config["LOGIN_USERNAME_FAILURE_LIMIT"],
        per_address=config["LOGIN_ADDRESS_FAILURE_LIMIT"],
        trusted_days=config["LOGIN_TRUSTED_ADDRESS_DAYS"],
    )


def login_throttle(app: Flask | None = None) -> LoginThrottle:
    return (app or current_app).extensions[EXTENSION]


def throttled_login(username: str, password: str, address: str) -> dict[str, Any]:
    """service.login behind the throttle: 429 before the password is checked when a
    counter is full; a failed attempt (wrong password, unknown or disabled account, or
    any error) stays counted, a successful one is given back."""
    throttle = login_throttle()
    attempt = throttle.reserve(username, address)
    user = service.login(username, password, hasher=password_hasher(current_app.config),
                         audit_secret=audit_secret(current_app.config), origin=request_origin())
    tokens = issue_tokens(user)
    # service.login has committed, but issuing the tokens read the user again and so
    # began a new transaction. End it before the counters write on a connection of
    # their own: on SQLite a transaction holds the write lock from BEGIN, so the counter
    # update would wait behind this request's own reads.
    db.session.commit()
    throttle.succeeded(attempt)
    return tokens
