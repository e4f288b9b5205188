"""The client's address in the audit log: the socket's, unless we sit behind our own proxies."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from gridgov.core.audit import client_ip


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_without_proxies_a_forged_forwarded_header_is_ignored():
    request = _request(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert client_ip(request) == "10.1.2.3"


@override_settings(PROXY_COUNT=1)
def test_behind_one_proxy_the_address_it_appended_is_the_client():
    # The client forged 1.1.1.1; our proxy appended the real address 203.0.113.9.
    request = _request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"


@override_settings(PROXY_COUNT=2)
def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_socket():
    request = _request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.0.0.1"
