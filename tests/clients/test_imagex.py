"""ImageX uploads against the emulator over real HTTP: every flavour x region, CRC checked on
both sides, chunked upload, token refresh, commit never twice, batches with injected faults."""
from __future__ import annotations

import json
import zlib
from collections import Counter

import numpy as np
import pytest
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.retry import RetryPolicy

from .conftest import make_jpeg, make_png


def web(emu, region="cn", **kw):
    return ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, region=region, endpoints=emu.endpoints, **kw)


def sdk(emu, region="cn", **kw):
    return ik.ImageXClient.openapi(emu.demo_volc_credentials, service_id=emu.demo_service_id, region=region,
                                   endpoints=emu.endpoints, **kw)


def stored(emu, uri):
    slot = emu.state.slot(uri)
    return slot.data if slot is not None else None


@pytest.mark.parametrize("region", ["cn", "us", "sg"])
@pytest.mark.parametrize("flavour", ["web", "openapi"])
def test_every_flavour_and_region(emu, flavour, region):
    data = make_png(48, 32, seed=hash((flavour, region)) % 1000)
    client = (web if flavour == "web" else sdk)(emu, region)
    up = client.upload(data)
    crc = f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"
    assert (up.size, up.crc32, up.width, up.height, up.format) == (len(data), crc, 48, 32, "png")
    assert stored(emu, up.uri) == data                                   # the bytes the server kept
    labels = [c.label for c in up.calls]
    expected = ["ApplyImageUpload", "upload", "CommitImageUpload"]
    assert labels[-3:] == expected and all(c.status == 200 and c.attempt == 1 for c in up.calls)
    commit = up.calls[-1]
    assert commit.json["Result"]["Results"] == [{"Uri": up.uri, "UriStatus": 2000}]
    upload = up.calls[-2]
    assert dict(upload.request_headers)["Content-CRC32"] == crc
    if flavour == "web":
        sid = {"cn": "tb4s082cfz"}.get(region, "wopfjsm1ax")
        assert up.uri.startswith(f"tos-cn-i-{sid}/")
        assert upload.method == "POST" and upload.path.startswith("/upload/v1/tos-cn-i-")
        assert up.calls[1].trace.region == {"cn": "cn-north-1", "us": "us-east-1", "sg": "ap-southeast-1"}[region]
        assert up.calls[1].trace.signed_headers == "x-amz-date;x-amz-security-token"
        assert commit.trace.signed_headers == "x-amz-content-sha256;x-amz-date;x-amz-security-token"
    else:
        assert up.uri.startswith(f"tos-cn-i-{emu.demo_service_id}/")
        assert upload.method == "PUT" and upload.path == "/" + up.uri
        assert commit.trace.service == "ImageX" and commit.trace.algorithm == "HMAC-SHA256"
        assert json.loads(commit.body_preview)["SuccessOids"] == [up.uri]


def test_us_signing_region_is_configurable(emu):
    up = web(emu, "us", us_signing_region="useast5").upload(make_png(8, 8))
    assert up.calls[1].trace.credential_scope.split("/")[1:3] == ["useast5", "imagex"]


def test_jpeg_file_named_png(emu, tmp_path):
    p = tmp_path / "really-a-jpeg.png"
    p.write_bytes(make_jpeg(50, 40))
    up = web(emu).upload(p)
    assert (up.format, up.width, up.height, up.name) == ("jpeg", 50, 40, "really-a-jpeg.png")


def test_file_upload_streams_in_chunks(emu, tmp_path):
    p = tmp_path / "big.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (600, 600, 3), dtype=np.uint8)).save(p, "PNG", compress_level=0)
    client = web(emu, chunk_size=64 * 1024)
    up = client.upload(p)
    assert stored(emu, up.uri) == p.read_bytes()
    st = client.read_stats
    assert st["bytes"] == p.stat().st_size and st["max_read"] <= 64 * 1024
    assert st["reads"] >= p.stat().st_size // (64 * 1024)


def test_openapi_chunked_upload(emu, tmp_path):
    p = tmp_path / "chunky.png"
    rng = np.random.default_rng(4)
    Image.fromarray(rng.integers(0, 256, (500, 700, 3), dtype=np.uint8)).save(p, "PNG", compress_level=0)
    size = p.stat().st_size
    client = sdk(emu, chunk_threshold=256 * 1024, part_size=256 * 1024, chunk_size=32 * 1024)
    up = client.upload(p)
    data = p.read_bytes()
    assert stored(emu, up.uri) == data and up.crc32 == f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"
    labels = [c.label for c in up.calls]
    n = size // (256 * 1024)
    assert labels == ["ApplyImageUpload", "upload init"] + [f"upload part {k}" for k in range(n)] + \
        ["upload merge", "CommitImageUpload"]
    last = up.calls[1 + n]
    assert last.body_size == size - (n - 1) * 256 * 1024                     # the last part takes the rest
    merge = up.calls[-2]
    parts = [int.from_bytes(b"", "big")] and merge.body_preview.split(",")
    assert [p.split(":")[0] for p in parts] == [str(k) for k in range(n)]
    assert client.read_stats["max_read"] <= 32 * 1024


def test_crc_mismatch_is_never_committed(emu, monkeypatch):
    client = web(emu, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None))
    from imgx_kit.services import images
    real = images.load_image

    def lying(*a, **k):                       # a source whose CRC does not match its bytes
        s = real(*a, **k)
        from dataclasses import replace
        return replace(s, crc32=(s.crc32 + 1) & 0xFFFFFFFF)

    monkeypatch.setattr("imgx_kit.services.imagex.load_image", lying)
    before = len([e for e in emu.log if e.target.startswith("/imagex/?Action=CommitImageUpload")])
    with pytest.raises(ik.UploadError, match="CRC32 mismatch") as ei:
        client.upload(make_png(10, 10))
    labels = [c.label for c in ei.value.calls]
    assert labels[-2:] == ["upload", "upload"] and "CommitImageUpload" not in labels
    after = len([e for e in emu.log if e.target.startswith("/imagex/?Action=CommitImageUpload")])
    assert after == before


def test_login_error(emu):
    client = ik.ImageXClient.jimeng(sessionid="not-a-known-session", endpoints=emu.endpoints)
    with pytest.raises(ik.LoginError, match="ret 1015") as ei:
        client.upload(make_png(4, 4))
    assert ei.value.code == 1015 and [c.label for c in ei.value.calls] == ["get_upload_token"]


def test_expired_token_is_refreshed_once(emu):
    client = web(emu)
    client.upload(make_png(4, 4, seed=1))                 # caches a token
    emu.faults.expire_tokens()
    up = client.upload(make_png(4, 4, seed=2))
    labels = [(c.label, c.status) for c in up.calls]
    assert labels == [("ApplyImageUpload", 401), ("get_upload_token", 200), ("ApplyImageUpload", 200),
                      ("upload", 200), ("CommitImageUpload", 200)]
    assert up.calls[0].json["ResponseMetadata"]["Error"]["Code"] == "InvalidSecretToken"


def test_signature_mismatch_carries_echo(emu):
    bad = ik.Credentials(emu.demo_volc_credentials.access_key, "WRONG" + emu.demo_volc_credentials.secret_key)
    client = ik.ImageXClient.openapi(bad, service_id=emu.demo_service_id, endpoints=emu.endpoints)
    with pytest.raises(ik.SignatureMismatchError) as ei:
        client.upload(make_png(4, 4))
    e = ei.value
    assert e.status == 401 and e.code == "SignatureDoesNotMatch" and e.echo.has_canonical
    d = e.calls[-1].trace.diff(e.echo)             # same canonical request and string to sign: a key problem
    assert d.same and "string_to_sign" in d.compared and "canonical_request" in d.compared


def test_commit_is_never_sent_twice(emu, waits):
    emu.faults.clear()
    client = web(emu, retry=RetryPolicy(max_attempts=4, sleep=waits.append))
    client.upload(make_png(4, 4, seed=5))                  # token cached
    emu.faults.add("imagex", status=503, count=1)          # Apply fails once (retried, same object)
    emu.faults.add("upload", reset=True, count=1)          # the upload is reset once (retried)
    up = client.upload(make_png(4, 4, seed=6))
    assert [(c.label, c.outcome) for c in up.calls] == [
        ("ApplyImageUpload", "HTTP 503"), ("ApplyImageUpload", "HTTP 200"),
        ("upload", "connection reset by the server"), ("upload", "HTTP 200"), ("CommitImageUpload", "HTTP 200")]
    assert [c.attempt for c in up.calls] == [1, 2, 1, 2, 1]
    emu.faults.clear()
    # a commit whose answer is lost is sent again for the same session (idempotent), never as a new object
    emu.faults.add("imagex", reset=True, count=1)
    up2 = client.upload(make_png(4, 4, seed=7))            # Apply reset, retried; ok
    emu.faults.clear()
    assert [c.label for c in up2.calls].count("CommitImageUpload") == 1
    # now make the commit itself fail once
    client2 = web(emu, retry=RetryPolicy(max_attempts=4, sleep=waits.append))
    client2.upload(make_png(4, 4, seed=8))
    orig_send = client2.transport.send
    state = {"n": 0}

    def send(req, **kw):
        if kw.get("label") == "CommitImageUpload" and state["n"] == 0:
            state["n"] += 1
            emu.faults.add("imagex", reset=True, count=1)
        return orig_send(req, **kw)

    client2.transport.send = send
    up3 = client2.upload(make_png(4, 4, seed=9))
    emu.faults.clear()
    commits = [c for c in up3.calls if c.label == "CommitImageUpload"]
    keys = [json.loads(c.body_preview)["SessionKey"] for c in commits]
    assert [c.outcome for c in commits] == ["connection reset by the server", "HTTP 200"]
    assert len(set(keys)) == 1               # the same session committed again, never a second object
    applies = [c for c in up3.calls if c.label == "ApplyImageUpload"]
    assert len(applies) == 1 and stored(emu, up3.uri) is not None


def test_upload_many_with_faults(emu, waits):
    srcs = [make_png(12, 12, seed=1000 + i) for i in range(200)]
    emu.faults.clear()
    for route in ("imagex", "upload"):
        emu.faults.add(route, status=503, rate=0.05)
        emu.faults.add(route, throttle=True, rate=0.05)
        emu.faults.add(route, reset=True, rate=0.05)
        emu.faults.add(route, slow_body=0.3, rate=0.05)
    try:
        client = web(emu, retry=RetryPolicy(max_attempts=10, sleep=waits.append), commit_restarts=6)
        batch = client.upload_many(srcs, concurrency=8, progress=False)
    finally:
        emu.faults.clear()
    assert len(batch) == 200 and not batch.failed and batch.ok
    for i, (item, data) in enumerate(zip(batch, srcs, strict=True)):      # input order kept, CRC verified
        assert item.index == i and item.result.crc32 == f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"
        assert stored(emu, item.result.uri) == data
    calls = batch.all_calls
    outcomes = Counter(c.outcome for c in calls)
    assert outcomes["HTTP 503"] > 0 and outcomes["HTTP 429"] > 0 and outcomes["connection reset by the server"] > 0
    assert calls.retries > 0 and len(waits) > 0
    commits = [c for c in calls if c.label == "CommitImageUpload"]
    keys = [json.loads(c.body_preview)["SessionKey"] for c in commits if c.ok]
    assert len(keys) == len(set(keys))                 # a session is committed again only while unanswered
    committed = [r["Uri"] for c in commits if c.ok for r in c.json["Result"]["Results"] if r["UriStatus"] == 2000]
    assert sorted(committed) == sorted(it.result.uri for it in batch)    # each object committed once
    assert len({it.result.uri for it in batch}) == 200
    assert [c.label for c in batch.calls] == ["get_upload_token"]  # one token for the batch


def test_upload_many_keeps_order_and_reports_errors(emu, tmp_path):
    good = make_png(6, 6, seed=42)
    batch = web(emu).upload_many([good, tmp_path / "missing.png", b"not an image", good], concurrency=3,
                                 progress=False)
    assert [it.ok for it in batch] == [True, False, False, True]
    assert isinstance(batch[1].error, ik.ImageInputError) and isinstance(batch[2].error, ik.ImageInputError)
    assert [it.index for it in batch.failed] == [1, 2]
    (tmp_path / "missing.png").write_bytes(make_png(7, 7))
    again = batch.retry_failed()
    assert [it.ok for it in again] == [True, True, False, True]
    assert again[0].result is batch[0].result and again[1].result.width == 7
    assert "3/4 uploaded" in repr(again) and "<table>" in again._repr_html_()


def test_upload_result_views(emu):
    up = web(emu).upload(make_png(5, 5))
    assert repr(up).startswith("UploadResult(uri='tos-cn-i-tb4s082cfz/") and "imgx-calls" in up._repr_html_()
    assert up.calls.to_har()["log"]["entries"][0]["request"]["method"] == "POST"


@pytest.mark.parametrize("group", [-1, 0, 11, "2", 2.0, True])
def test_upload_many_refuses_a_bad_group_before_sending(emu, group):
    n = len(emu.log)
    with pytest.raises(ik.ClientConfigError, match=rf"group={group!r} must be a whole number 1…10") as ei:
        web(emu).upload_many([make_png(4, 4), make_png(4, 4)], progress=False, group=group)
    assert "UploadNum" in ei.value.hint and len(emu.log) == n


def test_upload_many_group_ten_and_one_input_given_alone(emu):
    batch = web(emu).upload_many([make_png(4, 4, seed=i) for i in range(3)], progress=False, group=10)
    assert batch.ok and len(batch) == 3 and all(it is not None for it in batch.items)
    img = np.zeros((8, 8, 3), np.uint8)
    for one in ("photo.png", make_png(4, 4), img, 5):
        with pytest.raises(ik.ClientConfigError, match="upload_many takes a list of inputs"):
            web(emu).upload_many(one, progress=False)
    assert web(emu).upload_many(np.stack([img, img]), progress=False).ok     # a stack is a list


@pytest.mark.parametrize("sessionid, match", [
    ("中文", r"sessionid contains '中' \(U\+4E2D\) at position 0, which a cookie value cannot hold"),
    ("abc\x00", r"contains '\\x00' \(U\+0000\) at position 3"),
    ('ab"c', r"contains '\"' \(U\+0022\) at position 2"),
    ("sessionid=abc", r"sessionid starts with 'sessionid='"),
])
def test_jimeng_sessionid_must_be_a_cookie_value(emu, sessionid, match):
    with pytest.raises(ik.CredentialsError, match=match) as ei:
        ik.ImageXClient.jimeng(sessionid=sessionid, endpoints=emu.endpoints)
    assert ei.value.hint and "abc" not in str(ei.value)                  # the value itself is not shown


@pytest.mark.parametrize("kw, match", [
    ({"part_size": "x"}, r"part_size='x' must be a whole number ≥ 65536"),
    ({"part_size": 1024}, r"part_size=1024 must be a whole number ≥ 65536"),
    ({"chunk_threshold": None}, r"chunk_threshold=None must be a whole number ≥ 20971520"),
    ({"chunk_size": "x"}, r"chunk_size='x' must be a whole number ≥ 1024"),
    ({"max_download": 1.5}, r"max_download=1.5 must be a whole number ≥ 1"),
    ({"pool": 0}, r"pool=0 must be a whole number 1…256"),
    ({"commit_restarts": "3"}, r"commit_restarts='3' must be a whole number 0…100"),
    ({"timeout": "x"}, r"timeout='x' is not a timeout in seconds"),
    ({"timeout": (10, -1)}, r"timeout=\(10, -1\) is not a timeout in seconds"),
    ({"retry": 5}, r"retry must be a RetryPolicy, not int"),
    ({"transport": object()}, r"transport must be a Transport, not object"),
    ({"verify": 5}, r"verify must be True, False or the path of a CA bundle, not int"),
])
def test_client_options_are_checked_when_built(emu, kw, match):
    with pytest.raises(ik.ClientConfigError, match=match) as ei:
        web(emu, **kw)
    assert ei.value.hint
    assert web(emu, timeout=(5, None), part_size=1 << 16, chunk_threshold=1 << 16).part_size == 1 << 16


def test_endpoints_are_checked_when_built(emu):
    bad = dict(jimeng=emu.endpoints.jimeng, imagex="http://h:99999", upload=emu.endpoints.upload)
    with pytest.raises(ik.ClientConfigError, match=r"the imagex endpoint is not usable: .*Port out of range"):
        ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=bad)
