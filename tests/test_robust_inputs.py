"""#15: every bad input a typed ImgxError within the time limit; bounded work; temp files removed."""
from __future__ import annotations

import glob
import os
import tempfile
import time

import numpy as np
import pytest
from robust_cases import hand_picked, outcome

import imgx_kit as ik
from imgx_kit.services.images import load_image, read_file_capped
from imgx_kit.services.masks import MAX_DILATE, MAX_FEATHER, MaskModel, export_mask

CASES = hand_picked(tempfile.mkdtemp(prefix="imgx-robust-"))


#: cases where a result is right too: a prepared request without headers sends none
RESULT_OK = {"from_prepared headers None"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_picked_case_is_a_typed_error_in_time(name):
    kind, value = outcome(CASES[name])
    assert kind == "typed" or (kind == "result" and name in RESULT_OK), f"{name}: {kind} {value!r}"
    if kind == "typed":
        assert value.message and str(value)


def test_a_stroke_far_outside_the_image_is_drawn_fast_and_exactly():
    m = MaskModel(10, 10)
    t0 = time.perf_counter()
    box = m.stroke([(0, 0), (1e12, 0)], size=3)
    assert time.perf_counter() - t0 < 0.5
    ref = MaskModel(10, 10)
    ref.stroke([(0, 0), (12, 0)], size=3)                     # the same pixels: the part inside the image
    assert box is not None and np.array_equal(m.mask, ref.mask)


@pytest.mark.parametrize("n", [17, 40, 200])
def test_large_dilation_radius_equals_the_disc_kernel(n):
    import cv2

    rng = np.random.default_rng(n)
    a = rng.random((120, 150)) < 0.003
    yy, xx = np.ogrid[-n:n + 1, -n:n + 1]
    k = (xx * xx + yy * yy <= n * n).astype(np.uint8)
    a8 = a.astype(np.uint8) * 255
    assert np.array_equal(export_mask(a, dilate=n), cv2.dilate(a8, k, borderType=cv2.BORDER_CONSTANT, borderValue=0))
    assert np.array_equal(export_mask(~a, dilate=-n),
                          cv2.erode(255 - a8, k, borderType=cv2.BORDER_CONSTANT, borderValue=0))


def test_the_largest_dilate_and_feather_are_bounded_in_time():
    a = np.zeros((2048, 2048), bool)
    a[100:300, 100:300] = True
    t0 = time.perf_counter()
    export_mask(a, dilate=MAX_DILATE)
    export_mask(a, feather=MAX_FEATHER)
    assert time.perf_counter() - t0 < 10


def test_endless_stream_stops_at_the_cap_and_leaves_no_temp_file():
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "imgx-upload-*")))
    with open("/dev/zero", "rb") as f, pytest.raises(ik.ImageInputError, match="did not end"):
        load_image(f, max_download=20 << 20)
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "imgx-upload-*"))) == before


def test_a_stream_that_fails_midway_leaves_no_temp_file():
    class Breaks:
        mode = "rb"
        n = 0

        def read(self, size=-1):
            self.n += 1
            if self.n > 12:
                raise OSError("connection reset")
            return b"\x89PNG" + b"\0" * (size - 4)

    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "imgx-upload-*")))
    with pytest.raises(ik.ImageInputError, match="reading file object failed"):
        load_image(Breaks())
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "imgx-upload-*"))) == before


def test_capped_read_never_reads_past_the_limit(tmp_path):
    p = tmp_path / "big.bin"
    p.write_bytes(b"x" * 5000)
    assert len(read_file_capped(p, 100)) == 101
    with pytest.raises(ik.ImageInputError, match="directory"):
        read_file_capped(tmp_path, 100)


def test_oss_apply_checks_the_20_mb_limit_without_reading_the_whole_file(tmp_path):
    p = tmp_path / "huge.png"
    with open(p, "wb") as f:
        f.truncate(2 << 30)                                   # 2 GiB, sparse
    t0 = time.perf_counter()
    with pytest.raises(ik.ImageInputError, match="over the 20 MB limit"):
        ik.oss.apply("image/info", str(p))
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize("value", ["a\x01b", "a\x1fb", "a\x7fb", "a\x0bb", "a\x0cb"])
def test_every_control_character_is_refused_in_header_values(value):
    with pytest.raises(ik.RequestError, match="control character"):
        ik.HttpRequest.build("GET", "https://h/", [("X-A", value)])


def test_tab_stays_allowed_in_header_values():
    assert ik.HttpRequest.build("GET", "https://h/", [("X-A", "a\tb")]).header("x-a") == "a\tb"


def test_deep_json_answers_from_a_server_do_not_crash_the_transport():
    from imgx_kit.core.jsontext import loads_bounded

    with pytest.raises(ik.ImgxError, match="nested deeper"):
        loads_bounded(b"[" * 50000)
    assert loads_bounded('{"a": "[[[[[[["}') == {"a": "[[[[[[["}
