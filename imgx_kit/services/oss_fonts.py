"""The fonts of OSS text watermarks: each documented ``type_`` family name mapped to a free font
file a Debian package installs (OSS's own list, reference/oss-process.md §watermark: ``wqy-zenhei``
— the default —, ``wqy-microhei``, ``fangzhengshusong``, ``fangzhengkaiti``, ``fangzhengheiti``,
``fangzhengfangsong``, ``droidsansfallback``).

The FounderType (方正) families are proprietary, so each maps to the closest free design: 书宋
(Song/Ming) → Noto Serif CJK, then AR PL UMing; 楷体 (Kai) → AR PL UKai; 黑体 (Hei) → WenQuanYi
Zen Hei / Noto Sans CJK; 仿宋 (FangSong) → AR PL UMing / Noto Serif CJK. Every family may fall back
to any other CJK font in its chain, never to Pillow's built-in font (which has no CJK glyphs: it
draws tofu boxes). When none of a family's files is installed, :func:`font_file` raises
:class:`FontUnavailableError` naming the Debian package to install (``binder/apt.txt`` lists
``fonts-wqy-zenhei``, which covers every family).

    >>> [f.package for f in FONT_CHAINS["wqy-zenhei"]][:1]
    ['fonts-wqy-zenhei']
"""
from __future__ import annotations

import os
from functools import cache, lru_cache
from typing import NamedTuple

from PIL import ImageFont

from ..core.errors import ImageInputError

__all__ = ["FONT_CHAINS", "FONT_DIRS", "FontFile", "FontUnavailableError", "font_file", "load_font"]

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts"))


class FontFile(NamedTuple):
    """One font file: its name below a font directory, the face index in a collection, and
    the Debian package that installs it."""

    path: str
    face: int
    package: str


_ZENHEI = FontFile("truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei")
_MICROHEI = FontFile("truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei")
_DROID = FontFile("truetype/droid/DroidSansFallbackFull.ttf", 0, "fonts-droid-fallback")
_NOTO_SANS = FontFile("opentype/noto/NotoSansCJK-Regular.ttc", 2, "fonts-noto-cjk")     # face 2: SC
_NOTO_SERIF = FontFile("opentype/noto/NotoSerifCJK-Regular.ttc", 2, "fonts-noto-cjk")
_UMING = FontFile("truetype/arphic/uming.ttc", 0, "fonts-arphic-uming")
_UKAI = FontFile("truetype/arphic/ukai.ttc", 0, "fonts-arphic-ukai")
_ANY = (_ZENHEI, _MICROHEI, _NOTO_SANS, _DROID, _NOTO_SERIF, _UMING, _UKAI)

FONT_CHAINS: dict[str, tuple[FontFile, ...]] = {
    "wqy-zenhei": (_ZENHEI, _MICROHEI, _NOTO_SANS, _DROID),
    "wqy-microhei": (_MICROHEI, _ZENHEI, _NOTO_SANS, _DROID),
    "droidsansfallback": (_DROID, _NOTO_SANS, _ZENHEI, _MICROHEI),
    "fangzhengheiti": (_NOTO_SANS, _ZENHEI, _MICROHEI, _DROID),
    "fangzhengshusong": (_NOTO_SERIF, _UMING, _ZENHEI, _MICROHEI, _NOTO_SANS, _DROID),
    "fangzhengkaiti": (_UKAI, _NOTO_SERIF, _UMING, _ZENHEI, _MICROHEI, _NOTO_SANS, _DROID),
    "fangzhengfangsong": (_UMING, _NOTO_SERIF, _UKAI, _ZENHEI, _MICROHEI, _NOTO_SANS, _DROID),
}
assert all(set(chain) <= set(_ANY) for chain in FONT_CHAINS.values())


class FontUnavailableError(ImageInputError):
    """No font file for a watermark's ``type_`` family is installed on this machine. OSS itself
    always has its fonts, so the emulator answers ``NotImplemented`` (501) for it."""

    def __init__(self, family: str, package: str) -> None:
        self.family, self.package = family, package
        super().__init__(f"no font for the text watermark family {family!r} is installed",
                         hint=f"install a CJK font: sudo apt-get install {package} (Binder: list it in binder/apt.txt)",
                         code="NotImplemented", status=501)


@cache
def font_file(family: str, dirs: tuple[str, ...] = FONT_DIRS) -> tuple[str, int]:
    """(absolute path, face index) of the first installed font of ``family``'s chain.

        >>> font_file("wqy-zenhei", dirs=("/nonexistent",))
        Traceback (most recent call last):
        imgx_kit.services.oss_fonts.FontUnavailableError: no font for ... 'wqy-zenhei' is installed — install ...
    """
    chain = FONT_CHAINS.get(family)
    if chain is None:
        raise ImageInputError(f"unknown watermark font family {family!r}", ec="0040-00000251",
                              hint="one of " + ", ".join(FONT_CHAINS))
    for f in chain:
        for d in dirs:
            path = os.path.join(d, f.path)
            if os.path.isfile(path):
                return path, f.face
    raise FontUnavailableError(family, chain[0].package)


@lru_cache(maxsize=64)
def load_font(family: str, size: int) -> ImageFont.FreeTypeFont:
    """The Pillow font for ``family`` at ``size`` px (see :func:`font_file`)."""
    path, index = font_file(family)
    return ImageFont.truetype(path, size=size, index=index)
