"""Helpers of the accounts tests."""

from __future__ import annotations

from django.test import Client

from tests import conftest as shared

PASSWORD = shared.PASSWORD


def login(client: Client, username: str, password: str = PASSWORD, **extra):
    """Log in through the real login page, as a person would."""
    return client.post("/login/", {"username": username, "password": password}, **extra)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
