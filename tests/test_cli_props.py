"""Property test of the command line: over generated argument combinations, `imgx-kit sign` and
`imgx-kit diagnose` exit 0 (or diagnose's 1) or 2 with exactly one line on stderr, never a traceback,
never a canary secret, within a time limit. In-process `main(argv)` with captured stdio for speed,
plus a few of the same runs as subprocesses."""
from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from imgx_kit.cli import main

from imgx_testing import CANARY_SECRET, CANARY_TOKEN

ENV = {"VOLC_ACCESSKEY": "AKLTexample", "VOLC_SECRETKEY": CANARY_SECRET, "VOLC_SESSION_TOKEN": CANARY_TOKEN,
       "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": CANARY_SECRET, "AWS_SESSION_TOKEN": CANARY_TOKEN,
       "OSS_ACCESS_KEY_ID": "LTAI5tEXAMPLEAK", "OSS_ACCESS_KEY_SECRET": CANARY_SECRET,
       "OSS_SESSION_TOKEN": CANARY_TOKEN}
LIMIT_S = 5.0
CANARIES = (CANARY_SECRET, CANARY_TOKEN, CANARY_SECRET[:8], CANARY_TOKEN[:8])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-props")
    (d / "body.json").write_text('{"a": 1}')
    (d / "deep.json").write_text("[" * 50000)
    (d / "bin").write_bytes(bytes(range(256)))
    (d / "req.sh").write_text("curl 'https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01' "
                              "-H 'Authorization: AWS4-HMAC-SHA256 Credential=AKTPexample/20250101/cn-north-1/imagex/"
                              "aws4_request, SignedHeaders=x-amz-date, Signature=00' -H 'X-Amz-Date: 20250101T000000Z'")
    (d / "req.http").write_text("GET /?Action=CVProcess HTTP/1.1\r\nHost: visual.volcengineapi.com\r\n\r\n")
    os.mkfifo(d / "fifo")
    return [str(d / n) for n in ("body.json", "deep.json", "bin", "req.sh", "req.http", "fifo", "missing")] + \
        [str(d), "/dev/zero", "/dev/null", "-", ""]


def _run(argv: list[str]) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    t0 = time.monotonic()
    with mock.patch.dict(os.environ, ENV), mock.patch.object(sys, "stdin", io.StringIO("curl https://h/")), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:                 # argparse: --help (0) or a usage error (2)
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue(), time.monotonic() - t0


def _check(argv, code, out, err, took, codes=(0, 2)):
    event(f"exit {code}")
    assert took < LIMIT_S, (argv, took)
    assert code in codes, (argv, code, err)
    assert "Traceback" not in err, (argv, err)
    lines = err.strip().splitlines()
    if code == 2:
        assert len(lines) == 1 and "error:" in lines[0], (argv, err)
        # CLI words: flags and the environment, not Python arguments or objects
        assert not re.search(r"\b(?:pass|e\.g\.) [a-z_]+=|\bik\.|before starting Python", err), (argv, err)
    else:
        assert len(lines) <= 1, (argv, err)     # at most the "token masked" note
    for c in CANARIES if "--reveal" not in argv else (CANARY_SECRET, CANARY_SECRET[:8]):   # --reveal: the token
        assert c not in out and c not in err, (argv, c)


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30) | \
    st.text(st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1, max_size=3)  # shell bytes
urls = st.sampled_from([
    "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31", "https://example.amazonaws.com/",
    "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg", "http://127.0.0.1:9/bkt/k?acl",
    "https://…", "/relative", "https://h/\r\nX: 1", "ftp://h/", "https://h:99999/", "https://u:p@h/", ""]) | text
times = st.sampled_from(["2025-01-01T00:00:00Z", "now", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                         "2025-01-01T00:00:00", "1969-01-01T00:00:00Z", "x"]) | text


def _opt(flag: str, values) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]))


@st.composite
def sign_argv(draw, files):
    argv = ["sign", draw(st.sampled_from(["GET", "POST", "PUT", "get", "BAD METHOD"]) | text), draw(urls)]
    for _ in range(draw(st.integers(0, 2))):
        argv += ["-H", draw(st.sampled_from(["Content-Type: application/json", "x-amz-date: 1", "Bad", ": v",
                                             "X-A: \x00"]) | text)]
    body = draw(st.sampled_from(["none", "data", "file"]))
    if body == "data":
        argv += ["--data", draw(text)]
    elif body == "file":
        argv += ["--data-file", draw(st.sampled_from(files))]
    how = draw(st.sampled_from(["preset", "scheme", "none"]))
    if how == "preset":
        argv += ["--preset", draw(st.sampled_from(["VOLC_CV", "JIMENG_IMAGEX", "IMAGEX_OPENAPI", "NOPE"]))]
    elif how == "scheme":
        argv += ["--scheme", draw(st.sampled_from(["AWS4", "VOLC", "OSS1", "OSS4", "OSS", "oss4", "x"]))]
    argv += draw(_opt("--region", st.sampled_from(["us-east-1", "cn-hangzhou", "a/b", " "]) | text))
    argv += draw(_opt("--service", st.sampled_from(["s3", "oss", "cv", ""]) | text))
    argv += draw(_opt("--bucket", st.sampled_from(["examplebucket", "bkt", "Bad_Bucket", ""]) | text))
    argv += draw(_opt("--presign", st.sampled_from(["60", "0", "-1", "604801", "10" * 30, "x"])))
    argv += draw(_opt("--at", times))
    argv += draw(_opt("--signed-headers", st.sampled_from(["host", "host;x-date", "Host", ";"]) | text))
    argv += draw(_opt("--env", st.sampled_from(["VOLC", "AWS", "OSS", "GCP"])))
    argv += draw(st.lists(st.sampled_from(["--json", "--curl", "--steps", "--reveal"]), max_size=2, unique=True))
    return argv


_VALID = [("--preset", "VOLC_CV"), ("--preset", "JIMENG_IMAGEX"),
          ("--scheme", "AWS4", "--region", "us-east-1", "--service", "s3"),
          ("--scheme", "VOLC", "--region", "cn-north-1", "--service", "cv"),
          ("--scheme", "OSS1", "--bucket", "examplebucket"),
          ("--scheme", "OSS4", "--bucket", "examplebucket", "--region", "cn-hangzhou")]


@st.composite
def likely_valid_sign_argv(draw, files):
    """Mostly sound combinations, so the success paths (every output form) are exercised too."""
    argv = ["sign", draw(st.sampled_from(["GET", "PUT", "POST"])),
            draw(st.sampled_from(["https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/c%20t.jpg",
                                  "http://127.0.0.1:9/examplebucket/k?acl", "https://example.amazonaws.com/p/q?x=1",
                                  "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"]))]
    argv += list(draw(st.sampled_from(_VALID)))
    argv += draw(_opt("-H", st.sampled_from(["Content-Type: image/png", "x-oss-meta-a: 1", "X-Amz-Meta-B: 2"])))
    argv += draw(_opt("--data", text))
    argv += draw(_opt("--at", st.sampled_from(["2025-01-01T00:00:00Z", "2024-02-29T23:59:59+08:00", "now"])))
    argv += draw(_opt("--presign", st.sampled_from(["1", "60", "3600", "604800"])))
    argv += draw(st.lists(st.sampled_from(["--json", "--curl", "--steps", "--reveal"]), max_size=2, unique=True))
    return argv


@st.composite
def diagnose_argv(draw, files):
    src = draw(st.sampled_from(["--curl", "--har", "--raw"]))
    argv = ["diagnose", src, draw(st.sampled_from(files))]
    argv += draw(_opt("--body-file", st.sampled_from(files)))
    argv += draw(_opt("--response", st.sampled_from(files)))
    argv += draw(_opt("--entry", st.sampled_from(["0", "-1", "5", "x"])))
    argv += draw(_opt("--url-contains", text))
    argv += draw(_opt("--preset", st.sampled_from(["VOLC_CV", "JIMENG_IMAGEX", "NOPE"])))
    argv += draw(_opt("--scheme", st.sampled_from(["AWS4", "VOLC", "OSS4", "OSS", "x"])))
    argv += draw(_opt("--region", st.sampled_from(["cn-north-1", ""]) | text))
    argv += draw(_opt("--service", st.sampled_from(["imagex", ""])))
    argv += draw(_opt("--bucket", st.sampled_from(["examplebucket", "B"])))
    argv += draw(_opt("--now", times))
    argv += draw(_opt("--env", st.sampled_from(["VOLC", "AWS", "OSS", "X"])))
    argv += draw(st.lists(st.sampled_from(["--json", "--no-credentials"]), max_size=2, unique=True))
    return argv


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                              HealthCheck.too_slow])


@_SETTINGS
@given(data=st.data())
def test_sign_any_arguments(files, data):
    argv = data.draw(sign_argv(files))
    _check(argv, *_run(argv))


@_SETTINGS
@given(data=st.data())
def test_sign_likely_valid_arguments(files, data):
    argv = data.draw(likely_valid_sign_argv(files))
    _check(argv, *_run(argv))


@_SETTINGS
@given(data=st.data())
def test_diagnose_any_arguments(files, data):
    argv = data.draw(diagnose_argv(files))
    _check(argv, *_run(argv), codes=(0, 1, 2))


@pytest.mark.parametrize("argv", [
    ["sign", "GET", "https://…", "--preset", "VOLC_CV"],
    ["sign", "POST", "https://h/", "--preset", "VOLC_CV", "--data-file", "/dev/zero"],
    ["sign", "GET", "https://h/", "--preset", "VOLC_CV", "--at", "0001-01-01T00:00:00+23:59"],
    ["sign", "GET", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/k", "--scheme", "OSS"],
    ["diagnose", "--raw", "/dev/null", "--body-file", "/nonexistent"],
    ["diagnose", "--har", "DEEP"],
])
def test_the_same_as_subprocesses(argv, files):
    argv = [files[1] if a == "DEEP" else a for a in argv]
    r = subprocess.run([sys.executable, "-m", "imgx_kit", *argv], capture_output=True, text=True, check=False,
                       timeout=30, env={**os.environ, **ENV}, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for c in CANARIES:
        assert c not in r.stdout + r.stderr
