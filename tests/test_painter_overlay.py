"""The painter's overlay patch encoder, decoded by PIL (an independent PNG decoder)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from imgx_kit.widgets.painter import overlay_png


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (8, 8), (9, 17), (30, 1), (257, 130)])
def test_overlay_png_decodes_to_the_patch(shape):
    mask = np.random.default_rng(shape[0] * 1000 + shape[1]).random(shape) < 0.4
    im = Image.open(io.BytesIO(overlay_png(mask, (255, 45, 85), 128)))
    im.load()
    assert im.format == "PNG" and im.size == (shape[1], shape[0])
    rgba = np.asarray(im.convert("RGBA"))
    assert np.array_equal(rgba[..., 3] > 0, mask)
    assert (rgba[mask] == (255, 45, 85, 128)).all()
    assert (rgba[~mask][:, 3] == 0).all()
