"""The transport's cached environment settings agree with requests' own per-request answer
(the oracle: ``requests.Session.merge_environment_settings``), also when the environment changes."""
from __future__ import annotations

import pytest
import requests

from imgx_kit.services.calls import Transport

URLS = ["http://127.0.0.1:9/upload/v1/a", "https://imagex.volcengineapi.com/?Action=ApplyImageUpload",
        "http://localhost:8080/x", "https://example.cn:8443/y"]


def _both(url: str, t: Transport) -> tuple[dict, dict]:
    ours = t.session.merge_environment_settings(url, {}, None, None, None)
    theirs = requests.Session().merge_environment_settings(url, {}, None, None, None)
    return ours, theirs


@pytest.mark.parametrize("env", [
    {},
    {"HTTPS_PROXY": "http://proxy.corp:3128"},
    {"http_proxy": "http://p:1", "no_proxy": "127.0.0.1,localhost"},
    {"ALL_PROXY": "socks5://s:1080", "NO_PROXY": "example.cn"},
    {"REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"},
])
def test_cached_environment_matches_requests(monkeypatch, env):
    for k in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
              "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(k, raising=False)
    t = Transport()
    for url in URLS:                                      # warm the cache with the empty environment
        t.session.merge_environment_settings(url, {}, None, None, None)
    for k, v in env.items():                              # then change it, as a notebook user would
        monkeypatch.setenv(k, v)
    for url in URLS:
        for _ in range(2):                                # first answer and the cached one
            ours, theirs = _both(url, t)
            assert ours == theirs, (url, env)


def test_explicit_proxies_bypass_the_cache(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://env:1")
    t = Transport()
    got = t.session.merge_environment_settings("https://h/", {"https": "http://mine:2"}, None, None, None)
    assert got["proxies"]["https"] == "http://mine:2"


def test_trust_env_off_is_honoured(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://env:1")
    t = Transport()
    t.session.trust_env = False
    assert t.session.merge_environment_settings("https://h/", {}, None, None, None)["proxies"] == {}
