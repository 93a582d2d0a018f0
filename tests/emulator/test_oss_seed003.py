"""Seed 003's oss2 examples (Aliyun's "图片处理" page), written as tests against the emulator with
only the endpoint, credentials and bucket names changed: signed processing URL, get_object_to_file
with each style (the Chinese text watermark included), a named style, cascaded processing, and
process_object with ``sys/saveas``. Expected sizes are the documented results of each action."""
from __future__ import annotations

import base64
import io
import os

import numpy as np
import oss2
import pytest
import requests
from PIL import Image

from imgx_kit.emulator.api import running


@pytest.fixture(scope="module")
def emu():
    with running(seed=13) as e:
        e.create_bucket("seed003-target")
        with e.state.lock:
            e.state.bucket(e.demo_bucket).styles["oss-pic-style-w-100"] = "image/resize,w_100"
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


@pytest.fixture
def bucket(emu, tmp_path):
    c = emu.demo_oss_credentials
    b = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
    rng = np.random.default_rng(3)
    pic = tmp_path / "example.jpg"
    Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(pic, "JPEG")
    b.put_object_from_file("example.jpg", str(pic))            # 上传示例图片。
    return b


def _size(path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_signed_url_with_process(bucket) -> None:
    style = "image/resize,m_fixed,w_100,h_100/rotate,90"
    url = bucket.sign_url("GET", "example.jpg", 10 * 60, params={"x-oss-process": style})
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (100, 100)


@pytest.mark.parametrize("style,size", [
    ("image/resize,m_fixed,w_100,h_100", (100, 100)),          # 缩放
    ("image/crop,w_100,h_100,x_100,y_100,r_1", (100, 100)),    # 裁剪
    ("image/rotate,90", (300, 400)),                            # 旋转
    ("image/sharpen,100", (400, 300)),                          # 锐化
    ("image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ", (400, 300)),   # 水印 "Hello 图片服务!"
    ("image/format,png", (400, 300)),                           # 格式转换
    ("style/oss-pic-style-w-100", (100, 75)),                   # 自定义样式
    ("image/resize,m_fixed,w_100,h_100/rotate,90", (100, 100)),   # 级联处理
])
def test_get_object_to_file_with_process(bucket, tmp_path, style, size) -> None:
    new_pic = tmp_path / "example-new.jpg"
    bucket.get_object_to_file("example.jpg", str(new_pic), process=style)
    assert _size(new_pic) == size
    os.remove(new_pic)                                          # 清除本地文件。


def test_text_watermark_changes_pixels(bucket, tmp_path) -> None:
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    bucket.get_object_to_file("example.jpg", str(plain), process="image/format,png")
    bucket.get_object_to_file("example.jpg", str(marked),
                              process="image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ/format,png")
    diff = (np.asarray(Image.open(plain).convert("L"), dtype=int)
            - np.asarray(Image.open(marked).convert("L"), dtype=int))
    assert (np.abs(diff) > 0).sum() > 500                       # the text (CJK glyphs included) was drawn


@pytest.mark.parametrize("style,target,size", [
    ("image/resize,m_fixed,w_100,h_100", "example-resize.jpg", (100, 100)),
    ("image/crop,w_100,h_100,x_100,y_100,r_1", "example-crop.jpg", (100, 100)),
    ("image/rotate,90", "example-rotate.jpg", (300, 400)),
    ("image/sharpen,100", "example-sharpen.jpg", (400, 300)),
    ("image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ", "example-watermark.jpg", (400, 300)),
    ("image/format,png", "example-formatconvert.png", (400, 300)),
])
def test_process_object_saveas(bucket, emu, tmp_path, style, target, size) -> None:
    taget_bucket_name = "seed003-target"
    process = f"{style}|sys/saveas,o_{oss2.compat.to_string(base64.urlsafe_b64encode(oss2.compat.to_bytes(target)))},b_{oss2.compat.to_string(base64.urlsafe_b64encode(oss2.compat.to_bytes(taget_bucket_name)))}"  # noqa: E501  (seed 003's line, verbatim)
    result = bucket.process_object("example.jpg", process)
    assert result.status == 200 and result.object == target and result.bucket == taget_bucket_name
    c = emu.demo_oss_credentials
    saved = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, taget_bucket_name)
    out = tmp_path / target
    saved.get_object_to_file(target, str(out))
    assert _size(out) == size and result.fileSize == out.stat().st_size
