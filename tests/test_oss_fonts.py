"""Text watermarks draw Chinese: seed 003's own ``watermark,text_`` example ("Hello 图片服务!")
renders real CJK glyphs with the font OSS's ``type_`` family names (fonts from Debian packages,
``binder/apt.txt``), and a missing font is a typed error naming the package to install."""
from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from imgx_kit.core.oss_process import FONTS
from imgx_kit.services import oss_fonts
from imgx_kit.services.oss_apply import apply

SEED_003_STYLE = "image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ"      # seed 003, verbatim


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _ink(text: str, font) -> np.ndarray:
    im = Image.new("L", (200, 80), 0)
    ImageDraw.Draw(im).text((10, 10), text, font=font, fill=255)
    return np.asarray(im)


def test_seed_003_text_decodes_to_chinese() -> None:
    assert base64.urlsafe_b64decode("SGVsbG8g5Zu-54mH5pyN5YqhIQ==").decode() == "Hello 图片服务!"


def test_every_documented_family_has_a_chain() -> None:
    assert set(FONTS) == set(oss_fonts.FONT_CHAINS)


@pytest.mark.parametrize("family", sorted(oss_fonts.FONT_CHAINS))
def test_cjk_glyphs_render_and_are_not_tofu(family: str) -> None:
    font = oss_fonts.load_font(family, 40)
    tu, pian = _ink("图", font), _ink("片", font)
    assert tu.any() and pian.any()                              # not blank
    assert (tu != pian).sum() > 50                              # two glyphs, not one tofu box twice
    tofu = ImageFont.load_default(size=40)                      # Pillow's own font has no CJK glyphs
    assert (_ink("图", tofu) == _ink("片", tofu)).all()          # … which is what a tofu box looks like
    assert (tu != _ink("图", tofu)).sum() > 50


def test_seed_003_watermark_draws_the_chinese_text() -> None:
    base = Image.new("RGB", (400, 200), "white")
    marked = np.asarray(apply(SEED_003_STYLE, base).convert("L"))
    hello = np.asarray(apply(f"image/watermark,text_{_b64('Hello ')}", base).convert("L"))
    assert (marked < 128).sum() > (hello < 128).sum() + 200     # the CJK part adds real ink


def test_two_chinese_texts_give_different_marks() -> None:
    base = Image.new("RGB", (300, 120), "white")
    a = np.asarray(apply(f"image/watermark,text_{_b64('图片')}", base).convert("L"))
    b = np.asarray(apply(f"image/watermark,text_{_b64('服务')}", base).convert("L"))
    assert (a != b).sum() > 100


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(oss_fonts.FontUnavailableError) as e:
        oss_fonts.font_file("fangzhengkaiti", dirs=("/nonexistent",))
    assert e.value.package == "fonts-arphic-ukai" and "apt-get install fonts-arphic-ukai" in str(e.value)
    assert e.value.code == "NotImplemented" and e.value.status == 501
