"""The HTTP API from tests: URLs, JSON requests, logged-in or token clients."""

from __future__ import annotations

from django.test import Client

API = "/api/v1"


def url(path: str) -> str:
    """`/units` -> `/api/v1/units` (a path already under the API is left alone)."""
    return path if path.startswith(API) else f"{API}{path}"


def get(client, path: str, **params):
    return client.get(url(path), params)


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(url(path), data or {}, content_type="application/json", **kwargs)


def patch(client, path: str, data: dict, **kwargs):
    return client.patch(url(path), data, content_type="application/json", **kwargs)


def send(client, method: str, path: str, data: dict | None = None, **kwargs):
    """Any method; a body is sent as JSON."""
    call = getattr(client, method.lower())
    if method.upper() in ("GET", "HEAD"):
        return call(url(path), data or {}, **kwargs)
    return call(url(path), data or {}, content_type="application/json", **kwargs)


def rows(response) -> list[dict]:
    """The rows of a list answer, paged (`{"items": [...]}`) or not."""
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def ids(response) -> set[int]:
    return {row["id"] for row in rows(response)}


class ApiClient:
    """The API as one user sees it, by bearer token (`token=True`, no session) or by
    session login; paths are given without `/api/v1`, bodies are JSON."""

    def __init__(self, user=None, *, token: bool = True, client: Client | None = None):
        self.client = client or Client()
        self.headers: dict[str, str] = {}
        if user is not None and token:
            from linli.accounts.services import token_create

            _token, key = token_create(actor=user, name="tests")
            self.headers = {"Authorization": f"Bearer {key}"}
        elif user is not None:
            self.client.force_login(user)

    def get(self, path: str, **params):
        return self.client.get(url(path), params, headers=self.headers)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(
            url(path), data or {}, content_type="application/json", headers=self.headers, **kwargs
        )

    def patch(self, path: str, data: dict, **kwargs):
        return self.client.patch(
            url(path), data, content_type="application/json", headers=self.headers, **kwargs
        )

    def send(self, method: str, path: str, data: dict | None = None):
        return send(self.client, method, path, data, headers=self.headers)
