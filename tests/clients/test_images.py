"""Input normalisation: every accepted kind, content-detected formats, CRC while reading, and
bad inputs -> ImageInputError (or the config/credential error) with a clear message."""
from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.images import load_image, load_mask, sniff_format

from .conftest import make_jpeg, make_png


def _png_0x0() -> bytes:
    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 0, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.fixture
def png_file(tmp_path):
    p = tmp_path / "photo.jpg"            # a PNG named .jpg: the content decides
    p.write_bytes(make_png(20, 10))
    return p


def test_every_input_kind(png_file, tmp_path):
    data = png_file.read_bytes()
    crc = zlib.crc32(data) & 0xFFFFFFFF
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    for src in (png_file, str(png_file), data, bytearray(data), memoryview(data), io.BytesIO(data),
                open(png_file, "rb"), uri):  # noqa: SIM115 — an open file is one of the inputs under test
        s = load_image(src)
        assert (s.format, s.width, s.height, s.size, s.crc32) == ("png", 20, 10, len(data), crc)
    arr = np.zeros((7, 9, 3), np.uint8)
    s = load_image(arr)
    assert (s.format, s.width, s.height) == ("png", 9, 7)
    s = load_image(Image.new("RGBA", (5, 4)))
    assert (s.format, s.width, s.height) == ("png", 5, 4)
    s = load_image(make_jpeg(40, 30))
    assert (s.format, s.width, s.height) == ("jpeg", 40, 30)
    assert s.crc32_hex == f"{s.crc32:08x}" and len(s.crc32_hex) == 8


def test_crc_of_hello_format():
    assert f"{zlib.crc32(b'hello') & 0xFFFFFFFF:08x}" == "3610a686"
    assert sniff_format(b"GIF89a....") == "gif" and sniff_format(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"


def test_file_is_read_in_chunks(tmp_path):
    p = tmp_path / "big.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (700, 700, 3), dtype=np.uint8)).save(p, "PNG", compress_level=0)
    s = load_image(p, chunk_size=64 * 1024)
    assert s.data is None and s.path == str(p)                      # not held in memory
    assert s.crc32 == zlib.crc32(p.read_bytes()) & 0xFFFFFFFF
    pieces = list(s.chunks())
    assert max(map(len, pieces)) == 64 * 1024 and b"".join(pieces) == p.read_bytes()
    stats: dict = {}
    r = s.reader(stats=stats)
    while r.read(1 << 22):
        pass
    r.close()
    assert stats["max_read"] == 64 * 1024 and stats["bytes"] == s.size
    assert stats["reads"] == -(-s.size // (64 * 1024))
    assert s.crc_of(100, 5000) == zlib.crc32(p.read_bytes()[100:5100]) & 0xFFFFFFFF


def test_large_stream_spools_to_disk(monkeypatch):
    import imgx_kit.services.images as images
    monkeypatch.setattr(images, "SPOOL_LIMIT", 4096)
    data = make_png(200, 100)
    s = load_image(io.BytesIO(data), chunk_size=1024)
    assert s.data is None and Path(s.path).read_bytes() == data
    assert s.crc32 == zlib.crc32(data) & 0xFFFFFFFF


BAD = [
    ("missing file", lambda tmp: tmp / "nope.png", "no such file"),
    ("directory", lambda tmp: tmp, "is a directory"),
    ("empty path", lambda tmp: "   ", "path is empty"),
    ("non-image bytes", lambda tmp: b"hello, this is text", "is not an image"),
    ("empty bytes", lambda tmp: b"", "is empty"),
    ("truncated PNG", lambda tmp: make_png(40, 40)[:-30], "does not decode|truncated PNG"),
    ("PNG without IEND", lambda tmp: make_png(40, 40)[:-12], "truncated PNG"),
    ("truncated JPEG", lambda tmp: make_jpeg(64, 64)[:-200], "truncated JPEG"),
    ("0x0 PNG", lambda tmp: _png_0x0(), "0x0|does not decode"),
    ("0x0 numpy", lambda tmp: np.zeros((0, 0, 3), np.uint8), "empty"),
    ("float numpy", lambda tmp: np.zeros((4, 4, 3), np.float32), "dtype float32"),
    ("5-channel numpy", lambda tmp: np.zeros((4, 4, 5), np.uint8), "shape"),
    ("bad data URI base64", lambda tmp: "data:image/png;base64,@@@notbase64", "does not decode"),
    ("data URI without comma", lambda tmp: "data:image/png;base64", "no ','"),
    ("text-mode file", lambda tmp: open(__file__), "text mode"),  # noqa: SIM115 — the open file is the input
    ("wrong type", lambda tmp: 12345, "cannot use a int"),
    ("very long path", lambda tmp: "x" * 5000, r"cannot be used as a path: File name too long"),
    ("long file name", lambda tmp: tmp / ("x" * 300 + ".png"), r"cannot be used as a path"),
    ("unknown user", lambda tmp: "~imgx-no-such-user/x.png", r"starts with a home directory that does not exist"),
    ("device", lambda tmp: "/dev/null", r"/dev/null is not a regular file"),
    ("data URI lone surrogate", lambda tmp: "data:,ab\ud83d",
     r"data URI holds a lone surrogate \(U\+D83D\) at character 8"),
    ("read() returns int", lambda tmp: type("F", (), {"read": lambda self, n: 5})(),
     r"read\(\) returned int, not bytes"),
    ("PIL mode F", lambda tmp: Image.new("F", (4, 3)), r"mode F has no PNG form"),
    ("PIL mode LAB", lambda tmp: Image.new("LAB", (4, 3)), r"mode LAB has no PNG form"),
    ("PIL mode I beyond 16 bit", lambda tmp: Image.fromarray(np.array([[0, 70000]], np.int32)), r"values 0…70000"),
]


@pytest.mark.parametrize("what,make,match", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs(tmp_path, what, make, match):
    with pytest.raises(ik.ImageInputError, match=match) as ei:
        load_image(make(tmp_path))
    assert ei.value.hint or "—" in str(ei.value) or ei.value.message


def test_url_inputs(emu):
    oc = ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, emu.demo_oss_credentials, version=4, region=emu.oss_region)
    data = make_png(30, 20)
    oc.put("url-input.png", data)
    url = oc.sign_url("url-input.png")
    s = load_image(url)
    assert (s.format, s.width, s.size) == ("png", 30, len(data))
    with pytest.raises(ik.ImageInputError, match="answered HTTP 404"):
        load_image(emu.url + "/visual/results/nothing-here.png")
    with pytest.raises(ik.ImageInputError, match="over the download cap of 100 bytes"):
        load_image(url, max_download=100)
    with pytest.raises(ik.ImageInputError, match="failed"):
        load_image("http://127.0.0.1:9/x.png")              # nothing listens on port 9


def test_masks():
    m = np.zeros((10, 20), bool)
    m[2:5, 3:9] = True
    assert load_mask(m, (20, 10)).sum() == 18
    assert load_mask(m.astype(np.uint8) * 255, (20, 10)).sum() == 18
    assert load_mask(Image.fromarray(m.astype(np.uint8) * 255), (20, 10)).sum() == 18
    rgb = np.repeat((m.astype(np.uint8) * 255)[..., None], 3, axis=2)
    assert load_mask(rgb, (20, 10)).sum() == 18
    buf = io.BytesIO()
    Image.fromarray(m.astype(np.uint8) * 255).save(buf, "PNG")
    assert load_mask(buf.getvalue(), (20, 10)).sum() == 18


@pytest.mark.parametrize("mask,match", [
    (np.zeros((10, 21), bool), "mask is 21x10 but the image is 20x10"),
    (np.full((10, 20), 70000, np.int32), "values 70000…70000, outside 0…65535"),
    (np.dstack([np.zeros((10, 20), np.uint8), np.full((10, 20), 255, np.uint8), np.zeros((10, 20), np.uint8)]),
     "coloured"),
    ("/definitely/not/here.png", "no such file"),
    (3.5, "cannot use a float as a mask"),
], ids=["size", "out-of-range", "colour", "missing", "type"])
def test_bad_masks(mask, match):
    with pytest.raises(ik.ImageInputError, match=match):
        load_mask(mask, (20, 10))


def test_bad_client_configuration(monkeypatch, emu):
    with pytest.raises(ik.CredentialsError, match=r"credentials must be ik\.Credentials"):
        ik.ImageXClient.openapi(("AK", "SK"), service_id="x")
    with pytest.raises(ik.CredentialsError, match="sessionid must be a str"):
        ik.ImageXClient.jimeng(sessionid=None)
    with pytest.raises(ik.CredentialsError, match="sessionid contains"):
        ik.ImageXClient.jimeng(sessionid="sessionid=abc; x=y")
    with pytest.raises(ik.ImgxError, match="unknown region 'eu'"):
        ik.ImageXClient.jimeng(sessionid="abc", region="eu")
    with pytest.raises(ik.ImgxError, match="unknown region 'mars'"):
        ik.ImageXClient.openapi(emu.demo_volc_credentials, service_id="x", region="mars")
    with pytest.raises(ik.CredentialsError, match=r"credentials must be ik\.Credentials"):
        ik.VisualClient({"ak": "x"})
    with pytest.raises(ik.CredentialsError, match=r"creds must be ik\.Credentials"):
        ik.oss.Client("b", "https://oss-cn-hangzhou.aliyuncs.com", "AK:SK")
    for v in ("VOLC_ACCESSKEY", "VOLC_SECRETKEY", "VOLC_SESSION_TOKEN"):
        monkeypatch.delenv(v, raising=False)
    with pytest.raises(ik.CredentialsError, match="VOLC_ACCESSKEY and VOLC_SECRETKEY is not set"):
        ik.Credentials.from_env("VOLC")
    with pytest.raises(ik.ImgxError, match="endpoints has no http"):
        ik.ImageXClient.jimeng(sessionid="abc", endpoints={"jimeng": "ftp://x"})


@pytest.mark.parametrize("kw, match", [
    ({"timeout": "x"}, r"timeout='x' is not a timeout in seconds"),
    ({"timeout": 0}, r"timeout=0 is not a timeout"),
    ({"timeout": [1, 2]}, r"timeout=\[1, 2\] is not a timeout"),
    ({"session": 5}, r"session must be a requests.Session, not int"),
    ({"max_download": "x"}, r"max_download='x' must be a whole number of bytes ≥ 1"),
])
def test_load_image_options(kw, match):
    with pytest.raises(ik.ImageInputError, match=match) as ei:
        load_image("http://127.0.0.1:9/x.png", **kw)
    assert ei.value.hint


def test_size_is_what_was_read_not_st_size():
    # st_size is 0 for /proc files: reading them as empty said "is empty (0 bytes)"
    with pytest.raises(ik.ImageInputError, match=r"status is not an image \(its first bytes are 4e 61 6d 65"):
        load_image("/proc/self/status")


@pytest.mark.parametrize("mode, values", [
    ("La", None), ("RGBa", None), ("PA", None), ("I;16B", [[300, 65535]]), ("I", [[0, 300]]), ("HSV", None),
])
def test_pil_modes_become_png_with_the_same_values(mode, values):
    from imgx_kit.services.images import load_pil
    if values is None:
        im = Image.new(mode, (4, 3))
    else:
        im = Image.frombytes(mode, (2, 1), np.array(values, ">u2").tobytes()) if mode == "I;16B" else \
            Image.fromarray(np.array(values, np.int32))
    s = load_image(im)
    assert (s.format, s.width, s.height) == ("png", im.width, im.height)
    back, _ = load_pil(s.data)
    if values is not None:                       # 16-bit PNG: the integers unchanged
        assert np.asarray(back).astype(np.int64).tolist() == values
    assert load_pil(im)[0].mode in ("LA", "RGBA", "RGB", "I;16")


def test_load_mask_modes_and_size():
    la = Image.new("La", (4, 3))
    assert load_mask(la, (4, 3)).sum() == 0
    assert load_mask(Image.fromarray(np.array([[0, 65535]], np.uint16)), (2, 1)).tolist() == [[False, True]]
    assert not load_mask(Image.new("LAB", (4, 3)), (4, 3)).any()       # one rule with the painter: lightness decides
    for size in (5, (4,), (4.0, 3), "43", (0, 3), (True, 3)):
        with pytest.raises(ik.ImageInputError, match=r"is not a \(width, height\) pair of whole numbers"):
            load_mask(np.zeros((3, 4), bool), size)
