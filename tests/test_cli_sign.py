"""`imgx-kit sign` (console script and python -m imgx_kit): steps, --json, presign, errors, no secrets."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from imgx_testing import CANARY_SECRET, CANARY_TOKEN

URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
BODY = '{"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "BBBB"], "seed": 0}'


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("VOLC_", "AWS_"))}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "imgx_kit", *args], capture_output=True, text=True, env=e, timeout=60)


def test_sign_prints_every_step_and_matches_the_sdk_vector():
    r = run("sign", "POST", URL, "-H", "Content-Type: application/json", "--data", BODY, "--preset", "VOLC_CV",
            "--at", "2025-01-01T00:00:00Z", env={"VOLC_ACCESSKEY": "AKLTexample", "VOLC_SECRETKEY": "c2VjcmV0"})
    assert r.returncode == 0, r.stderr
    for step in ("canonical_request", "string_to_sign", "k_signing", "signature", "authorization"):
        assert f"── {step}" in r.stdout
    assert "Signature=137355fdb72bdc56a0211168810e28781c045e968667e0e718a5a7df74b52c88" in r.stdout


def test_sign_json_and_presign_never_show_secrets():
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": CANARY_SECRET, "AWS_SESSION_TOKEN": CANARY_TOKEN}
    r = run("sign", "GET", "https://example.amazonaws.com/", "--scheme", "AWS4", "--region", "us-east-1",
            "--service", "service", "--at", "2015-08-30T12:36:00Z", "--json", env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["scheme"] == "AWS4" and d["credential_scope"] == "20150830/us-east-1/service/aws4_request"
    p = run("sign", "GET", "https://example.amazonaws.com/", "--scheme", "AWS4", "--region", "us-east-1",
            "--service", "service", "--at", "2015-08-30T12:36:00Z", "--presign", "3600", env=env)
    assert p.returncode == 0 and "X-Amz-Signature=" in p.stdout
    for out in (r.stdout + r.stderr, p.stdout + p.stderr):
        assert CANARY_SECRET not in out and CANARY_TOKEN not in out


def test_sign_errors_are_one_clear_line():
    r = run("sign", "GET", URL, "--preset", "VOLC_CV")
    assert r.returncode == 2 and "VOLC_ACCESSKEY" in r.stderr and "Traceback" not in r.stderr
    r = run("sign", "GET", URL, "--scheme", "AWS4", env={"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert r.returncode == 2 and "--region" in r.stderr
    r = run("sign", "GET", URL, "--preset", "VOLC_CV", "--at", "2025-01-01T00:00:00",
            env={"VOLC_ACCESSKEY": "a", "VOLC_SECRETKEY": "b"})
    assert r.returncode == 2 and "time zone" in r.stderr
    r = run("sign", "GET", "/relative", "--preset", "VOLC_CV", env={"VOLC_ACCESSKEY": "a", "VOLC_SECRETKEY": "b"})
    assert r.returncode == 2 and "relative" in r.stderr and "Traceback" not in r.stderr


def test_console_script_is_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "imgx-kit")
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for cmd in ("sign", "emulator", "diagnose"):
        assert cmd in r.stdout
