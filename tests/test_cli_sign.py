"""`imgx-kit sign` (console script and python -m imgx_kit): headers, --curl, --steps, --json, presign,
OSS V1/V4 against oss2, AWS4 against botocore, errors in one line, no secrets.

Expected signatures come from botocore, oss2 and the volcengine SDK's published vector, never from
imgx-kit's own signer."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from oracles.reference import botocore_sign, oss2_sign_header, oss2_sign_url

import imgx_kit as ik

from imgx_testing import CANARY_SECRET, CANARY_TOKEN

URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
BODY = '{"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "BBBB"], "seed": 0}'
AT = datetime(2024, 1, 1, tzinfo=timezone.utc)
OSS_AK, OSS_SK = "LTAI5tEXAMPLEAK", "EXAMPLESECRET"
OSS_ENV = {"OSS_ACCESS_KEY_ID": OSS_AK, "OSS_ACCESS_KEY_SECRET": OSS_SK}
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
           "AWS_SESSION_TOKEN": CANARY_TOKEN}


def run(*args: str, env: dict | None = None, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("VOLC_", "AWS_", "OSS_"))}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "imgx_kit", *args], capture_output=True, text=True, env=e,
                          check=False, timeout=timeout, **kw)


def one_line_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("imgx-kit sign: error:"), r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def headers_of(stdout: str) -> dict[str, str]:
    return {k.lower(): v for k, _, v in (line.partition(": ") for line in stdout.splitlines())}


# ---- output forms ---------------------------------------------------------------------------------
def test_steps_match_the_sdk_vector_and_default_prints_the_signed_headers():
    env = {"VOLC_ACCESSKEY": "AKLTexample", "VOLC_SECRETKEY": "c2VjcmV0"}
    base = ("sign", "POST", URL, "-H", "Content-Type: application/json", "--data", BODY, "--preset", "VOLC_CV",
            "--at", "2025-01-01T00:00:00Z")
    sig = "Signature=137355fdb72bdc56a0211168810e28781c045e968667e0e718a5a7df74b52c88"  # the SDK's vector
    r = run(*base, "--steps", env=env)
    assert r.returncode == 0, r.stderr
    for step in ("canonical_request", "string_to_sign", "k_signing", "signature", "authorization"):
        assert f"── {step}" in r.stdout
    assert sig in r.stdout
    h = run(*base, env=env)
    assert h.returncode == 0 and h.stderr == ""
    hdr = headers_of(h.stdout)
    assert sig in hdr["authorization"] and hdr["x-date"] == "20250101T000000Z"
    assert hdr["host"] == "visual.volcengineapi.com"


def test_aws4_headers_and_curl_equal_botocore():
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": CANARY_SECRET}
    url = "https://examplebucket.s3.amazonaws.com/photos/cat.jpg?x-id=GetObject"
    ref = botocore_sign("GET", url, [("x-amz-content-sha256", hashlib.sha256(b"").hexdigest())], b"", "AKIDEXAMPLE",
                        CANARY_SECRET, None, "us-east-1", "s3", AT)
    args = ("sign", "GET", url, "-H", f"x-amz-content-sha256: {hashlib.sha256(b'').hexdigest()}", "--scheme", "aws4",
            "--region", "us-east-1", "--service", "s3", "--at", "2024-01-01T00:00:00Z")
    r = run(*args, env=env)
    assert r.returncode == 0, r.stderr
    assert headers_of(r.stdout)["authorization"] == ref["authorization"]
    c = run(*args, "--curl", env=env)
    assert c.returncode == 0 and c.stdout.startswith(f"curl '{url}'")
    # runnable: bash parses it into one curl invocation whose -H carry the same Authorization
    words = subprocess.run(["bash", "-c", 'f() { printf "%s\\n" "$@"; }; ' + c.stdout.replace("curl ", "f ", 1)],
                           capture_output=True, text=True, check=False, timeout=10).stdout.splitlines()
    assert words[0] == url and f"Authorization: {ref['authorization']}" in words
    for out in (r.stdout, r.stderr, c.stdout, c.stderr):
        assert CANARY_SECRET not in out


def test_curl_command_runs_against_the_emulator(tmp_path):
    """--curl prints what curl itself sends: PUT an object to the emulator's OSS, read it back."""
    with ik.emulator.running() as emu:
        oc = emu.demo_oss_credentials
        env = {"OSS_ACCESS_KEY_ID": oc.access_key, "OSS_ACCESS_KEY_SECRET": oc.secret_key}
        url = f"{emu.endpoints.oss}/{emu.demo_bucket}/cli/hello.txt"
        for version in ("OSS1", "OSS4"):
            put = run("sign", "PUT", url, "-H", "Content-Type: text/plain", "--data", f"hi {version}",
                      "--scheme", version, "--region", emu.oss_region, "--bucket", emu.demo_bucket, "--curl", env=env)
            assert put.returncode == 0, put.stderr
            sent = subprocess.run(["bash", "-c", put.stdout.strip() + " -s -o /dev/null -w '%{http_code}'"],
                                  capture_output=True, text=True, check=False, timeout=30)
            assert sent.stdout == "200", (sent.stdout, sent.stderr)
            get = run("sign", "GET", url, "--scheme", version, "--region", emu.oss_region, "--bucket",
                      emu.demo_bucket, "--curl", env=env)
            body = subprocess.run(["bash", "-c", get.stdout.strip() + " -s"], capture_output=True, check=False,
                                  timeout=30).stdout
            assert body == f"hi {version}".encode()


def test_json_and_presign_never_show_secrets():
    r = run("sign", "GET", "https://example.amazonaws.com/", "--scheme", "AWS4", "--region", "us-east-1",
            "--service", "service", "--at", "2015-08-30T12:36:00Z", "--json", env=AWS_ENV)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["scheme"] == "AWS4" and d["credential_scope"] == "20150830/us-east-1/service/aws4_request"
    outs = [r.stdout + r.stderr]
    for form in ((), ("--curl",), ("--steps",), ("--presign", "3600"), ("--presign", "60", "--curl")):
        p = run("sign", "GET", "https://example.amazonaws.com/", "--scheme", "AWS4", "--region", "us-east-1",
                "--service", "service", "--at", "2015-08-30T12:36:00Z", *form, env=AWS_ENV)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout + p.stderr)
    for out in outs:
        assert CANARY_SECRET not in out and CANARY_TOKEN not in out and CANARY_TOKEN[:8] not in out


def test_presign_with_a_token_is_masked_by_default_and_revealed_on_request():
    args = ("sign", "GET", "https://examplebucket.s3.amazonaws.com/cat.jpg", "--scheme", "AWS4", "--region",
            "us-east-1", "--service", "s3", "--at", "2024-01-01T00:00:00Z", "--presign", "600")
    masked = run(*args, env=AWS_ENV)
    assert masked.returncode == 0 and CANARY_TOKEN not in masked.stdout
    assert "masked" in masked.stderr and "--reveal" in masked.stderr and "Traceback" not in masked.stderr
    shown = run(*args, "--reveal", env=AWS_ENV)
    assert shown.returncode == 0 and shown.stderr == ""
    ref = botocore_sign("GET", "https://examplebucket.s3.amazonaws.com/cat.jpg", [], b"", "AKIDEXAMPLE",
                        CANARY_SECRET, CANARY_TOKEN, "us-east-1", "s3", AT, presign_expires=600)
    ours, theirs = parse_qs(urlsplit(shown.stdout.strip()).query), parse_qs(urlsplit(ref["url"]).query)
    assert ours == theirs                         # the working URL: botocore's, token and signature included
    assert CANARY_SECRET not in shown.stdout


# ---- OSS: what ik.oss.sign produces, checked against oss2 --------------------------------------------
@pytest.mark.parametrize("version", [1, 4])
@pytest.mark.parametrize("url,bucket,key", [
    ("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg", "examplebucket", "photos/cat.jpg"),
    ("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/a%20b/%E7%8C%AB.png?acl", "examplebucket", "a b/猫.png"),
])
def test_oss_header_signing_equals_oss2(version, url, bucket, key):
    r = run("sign", "PUT", url, "-H", "Content-Type: image/png", "--data", "png", "--scheme", f"OSS{version}",
            "--region", "cn-hangzhou", "--bucket", bucket, "--at", "2024-01-01T00:00:00Z", env=OSS_ENV)
    assert r.returncode == 0, r.stderr
    params = [("acl", "")] if "?acl" in url else []
    ref = oss2_sign_header(version, OSS_AK, OSS_SK, None, "https://oss-cn-hangzhou.aliyuncs.com", bucket, key,
                           "PUT", [("Content-Type", "image/png")], params, AT, region="cn-hangzhou")
    ref = {k.lower(): v for k, v in ref.items()}
    assert headers_of(r.stdout)["authorization"] == ref["authorization"]
    # the same as the library's one OSS path, and valid for ik.diagnose (not oss-bucket-in-resource)
    lib = ik.oss.sign(ik.HttpRequest.build("PUT", url, [("Content-Type", "image/png")], b"png"),
                      ik.Credentials(OSS_AK, OSS_SK), bucket, key, version=version, region="cn-hangzhou", at=AT)
    assert lib.authorization == ref["authorization"]
    sent = ik.HttpRequest.build("PUT", url, list(headers_of(r.stdout).items()), b"png")
    d = ik.diagnose(sent, ik.Credentials(OSS_AK, OSS_SK), bucket=bucket, now=AT)
    assert d.verdict == "valid", repr(d)


@pytest.mark.parametrize("version", [1, 4])
def test_oss_presign_equals_oss2_sign_url(version):
    url = "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg?x-oss-process=image%2Fresize%2Cw_100"
    r = run("sign", "GET", url, "--scheme", f"OSS{version}", "--region", "cn-hangzhou", "--bucket", "examplebucket",
            "--presign", "3600", "--at", "2024-01-01T00:00:00Z", env=OSS_ENV)
    assert r.returncode == 0, r.stderr
    ref, _ = oss2_sign_url(version, OSS_AK, OSS_SK, None, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket",
                           "photos/cat.jpg", 3600, [("x-oss-process", "image/resize,w_100")], AT, region="cn-hangzhou")
    assert parse_qs(urlsplit(r.stdout.strip()).query) == parse_qs(urlsplit(ref).query)


def test_oss_scheme_choice_is_explicit_and_needs_a_bucket():
    base = ("sign", "GET", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg", "--region",
            "cn-hangzhou")
    one_line_error(run(*base, "--scheme", "OSS", "--bucket", "examplebucket", env=OSS_ENV), "OSS1", "OSS4", "ambiguous")
    one_line_error(run(*base, "--scheme", "OSS4", env=OSS_ENV), "--bucket")
    one_line_error(run(*base, "--scheme", "OSS4", "--service", "s3", "--bucket", "examplebucket", env=OSS_ENV), "oss")
    h = run("sign", "--help")
    assert h.returncode == 0
    for scheme in ("AWS4", "VOLC", "OSS1", "OSS4"):
        assert scheme in h.stdout
    assert "``" not in h.stdout


def test_the_generic_signer_refuses_a_bucketless_oss4_resource():
    req = ik.HttpRequest.build("GET", "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg")
    signer = ik.Signer(ik.OSS4, "cn-hangzhou", "oss")
    for call in (lambda: signer.sign(req, ik.Credentials(OSS_AK, OSS_SK), at=AT),
                 lambda: signer.presign(req, ik.Credentials(OSS_AK, OSS_SK), at=AT)):
        with pytest.raises(ik.SigningError, match=r"examplebucket.*ik\.oss\.sign"):
            call()
    # path style carries the bucket: the generic signer signs it as oss2 does
    ps = ik.HttpRequest.build("GET", "http://127.0.0.1:9/examplebucket/photos/cat.jpg")
    got = signer.sign(ps, ik.Credentials(OSS_AK, OSS_SK), at=AT).authorization
    ref = oss2_sign_header(4, OSS_AK, OSS_SK, None, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket",
                           "photos/cat.jpg", "GET", [], [], AT, region="cn-hangzhou")
    assert got.rpartition("Signature=")[2] == ref["authorization"].rpartition("Signature=")[2]


# ---- bad input: one line, exit 2 --------------------------------------------------------------------
VOLC_ENV = {"VOLC_ACCESSKEY": "AKLTexample", "VOLC_SECRETKEY": CANARY_SECRET}


def test_errors_are_one_clear_line_in_cli_words():
    r = run("sign", "GET", URL, "--preset", "VOLC_CV")
    one_line_error(r, "VOLC_ACCESSKEY", "in the environment")
    assert "Python" not in r.stderr
    one_line_error(run("sign", "GET", URL, "--scheme", "AWS4",
                       env={"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}),
                   "--region")
    one_line_error(run("sign", "GET", URL, "--preset", "VOLC_CV", "--at", "2025-01-01T00:00:00", env=VOLC_ENV),
                   "time zone")
    one_line_error(run("sign", "GET", "/relative", "--preset", "VOLC_CV", env=VOLC_ENV), "relative")
    one_line_error(run("sign", "GET", "https://…", "--preset", "VOLC_CV", env=VOLC_ENV), "placeholder")
    one_line_error(run("sign", "POST", "https://…/?Action=CVProcess", "--preset", "VOLC_CV", env=VOLC_ENV),
                   "placeholder")
    one_line_error(run("sign", "GET", URL, "--preset", "VOLC_CV", "--at", "0001-01-01T00:00:00+23:59", env=VOLC_ENV),
                   "--at")
    one_line_error(run("sign", "GET", URL, "--prest", "VOLC_CV", env=VOLC_ENV), "--help")


def test_data_file_that_is_missing_a_directory_or_a_device(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases = {str(tmp_path / "missing"): "no such file", str(tmp_path): "directory", "/dev/zero": "not a regular file",
             str(fifo): "not a regular file"}
    for path, words in cases.items():
        r = run("sign", "POST", URL, "--preset", "VOLC_CV", "--data-file", path, env=VOLC_ENV, timeout=20)
        one_line_error(r, "--data-file", words)


def test_data_keeps_the_bytes_the_shell_passed():
    """`--data $'\\xff'`: the argument's bytes (0xFF) are signed, as curl --data would send them."""
    r = subprocess.run([sys.executable, "-m", "imgx_kit", "sign", "POST", URL, "--preset", "VOLC_CV", "--data",
                        os.fsdecode(b"\xff"), "--steps"], capture_output=True, text=True, check=False, timeout=60,
                       env={**os.environ, **VOLC_ENV})
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(b"\xff").hexdigest() in r.stdout


def test_closed_pipe_exits_quietly():
    """`imgx-kit sign … | head`: stdout closed before we write. No traceback; 141 = 128 + SIGPIPE, what a
    shell reports for `yes | head` (coreutils die of SIGPIPE); Python's own recipe exits 1."""
    rd, wr = os.pipe()
    os.close(rd)
    try:
        p = subprocess.run([sys.executable, "-m", "imgx_kit", "sign", "GET", URL, "--preset", "VOLC_CV", "--steps"],
                           stdout=wr, stderr=subprocess.PIPE, text=True, check=False, timeout=60,
                           env={**os.environ, **VOLC_ENV})
    finally:
        os.close(wr)
    assert p.returncode == 141 and p.stderr == "", p.stderr
    sh = subprocess.run(["bash", "-c", "set -o pipefail; " + " ".join([sys.executable, "-m", "imgx_kit", "sign", "GET",
                         f"'{URL}'", "--preset", "VOLC_CV", "--steps"]) + " | head -1"],
                        capture_output=True, text=True, check=False, timeout=60, env={**os.environ, **VOLC_ENV})
    assert sh.stdout.startswith("Signer(") and "Traceback" not in sh.stderr


def test_console_script_is_installed_and_help_speaks_cli():
    exe = os.path.join(os.path.dirname(sys.executable), "imgx-kit")
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 0
    for cmd in ("sign", "emulator", "diagnose", "upload", "inpaint"):
        assert cmd in r.stdout
    for name in ("sign", "diagnose", "upload", "inpaint", "emulator"):
        h = run(name, "--help")
        assert h.returncode == 0 and "``" not in h.stdout and ":class:" not in h.stdout, h.stdout


def test_control_characters_never_reach_a_header(capsys, monkeypatch):
    """CR/LF in --region or -H would inject a header (issue 15): refused on the command line."""
    from imgx_kit.cli import main
    for k, v in {**AWS_ENV, **VOLC_ENV}.items():
        monkeypatch.setenv(k, v)
    for argv in (["--scheme", "AWS4", "--region", "us\r\nX-Injected: 1", "--service", "s3"],
                 ["--scheme", "AWS4", "--region", "us-east-1", "--service", "s3\x00"],
                 ["--preset", "VOLC_CV", "-H", "X-A: a\r\nX-Injected: 1"],
                 ["--preset", "VOLC_CV", "-H", "X-A: a\x01b"],
                 ["--scheme", "OSS1", "--bucket", "examplebucket\n"]):
        try:
            code = main(["sign", "GET", "https://h/k", *argv])
        except SystemExit as e:                      # argparse refuses the value of a typed option
            code = e.code
        assert code == 2
        err = capsys.readouterr().err
        assert "control character" in err and len(err.strip().splitlines()) == 1, err


def test_signed_headers_apply_to_a_preset(capsys, monkeypatch):
    from imgx_kit.cli import main
    for k, v in VOLC_ENV.items():
        monkeypatch.setenv(k, v)
    assert main(["sign", "GET", URL, "--preset", "VOLC_CV", "-H", "X-A: 1", "--signed-headers", "host;x-a;x-date"]) == 0
    assert "SignedHeaders=host;x-a;x-content-sha256;x-date," in capsys.readouterr().out
    assert main(["sign", "GET", URL, "--preset", "VOLC_CV", "--signed-headers", "HOST"]) == 2
    assert "lower case" in capsys.readouterr().err



@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_one_line():
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "imgx_kit", "sign", "GET", URL, "--preset", "VOLC_CV", "--steps"],
                           stdout=full, stderr=subprocess.PIPE, text=True, check=False, timeout=60,
                           env={**os.environ, **VOLC_ENV})
    assert r.returncode == 2 and "No space left" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
