"""Using the console as a browser does, over the Flask test client: fetch a page, read its
CSRF token, post the form."""

from __future__ import annotations

import re

from tests.conftest import DEMO_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client, username: str, password: str = DEMO_PASSWORD, expect: int = 303):
    page = client.get("/console/sign-in")
    response = client.post("/console/sign-in", data={
        "username": username, "password": password, "csrf_token": csrf_token(page.text)})
    assert response.status_code == expect, response.text[:500]
    return response


def post_form(client, page_path: str, action: str, data: dict, expect: int | None = None):
    """Post `data` to `action` with the CSRF token of the page at `page_path`."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:300]
    response = client.post(action, data={**data, "csrf_token": csrf_token(page.text)})
    if expect is not None:
        assert response.status_code == expect, response.text[:800]
    return response
