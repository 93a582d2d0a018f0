"""Fixtures for the client tests: one emulator per module, small deterministic images, a retry
policy that records its waits instead of sleeping."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.retry import RetryPolicy


def make_png(w: int = 32, h: int = 24, seed: int = 0, mode: str = "RGB") -> bytes:
    rng = np.random.default_rng(seed)
    chans = {"RGB": 3, "RGBA": 4}[mode]
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (h, w, chans), dtype=np.uint8), mode).save(buf, "PNG")
    return buf.getvalue()


def make_jpeg(w: int = 40, h: int = 30, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture(scope="module")
def emu():
    with ik.emulator.running(seed=0) as e:
        yield e


@pytest.fixture
def waits():
    return []


@pytest.fixture
def fast(waits):
    """Retries without sleeping: every wait is recorded in ``waits``."""
    return RetryPolicy(max_attempts=6, sleep=waits.append)
