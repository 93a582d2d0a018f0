"""Generate the sample images of the tutorial notebooks (deterministic; no downloads).

Run from anywhere: ``python notebooks/images/make_samples.py``. It (re)writes, next to itself:

* ``scene.jpg``   400×267 RGB JPEG (quality 90): sky, sun, hills, a house and a tree — a
  "photo" with edges, flat areas and a gradient, so every x-oss-process action shows visibly.
* ``scene.png``   the same picture, lossless (for upload and inpainting examples).
* ``logo.png``    64×64 RGBA with a transparent background (watermark image).
* ``rotated.jpg`` 120×80 JPEG stored sideways with EXIF Orientation = 6 (for auto-orient).

Everything is drawn here with Pillow and numpy (fixed seed), so the files are our own work and
are dedicated to the public domain (CC0 1.0, see README.md in this folder).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
W, H = 400, 267
SEED = 20250101


def scene() -> Image.Image:
    rng = np.random.default_rng(SEED)
    y = np.linspace(0.0, 1.0, H)[:, None, None]
    top, bottom = np.array([40, 110, 200.0]), np.array([200, 225, 250.0])
    sky = (top * (1 - y) + bottom * y) * np.ones((1, W, 1))
    im = Image.fromarray(sky.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.ellipse((300, 30, 350, 80), fill=(255, 214, 60))                     # sun
    far = [(0, 170), (60, 130), (130, 160), (210, 115), (290, 150), (360, 125), (400, 140), (400, H), (0, H)]
    d.polygon(far, fill=(90, 140, 95))                                     # far hills
    near = [(0, 200), (100, 175), (200, 195), (300, 170), (400, 190), (400, H), (0, H)]
    d.polygon(near, fill=(60, 120, 55))                                    # near hill
    d.rectangle((70, 160, 150, 220), fill=(200, 80, 60), outline=(60, 30, 20), width=2)   # house
    d.polygon([(62, 162), (110, 122), (158, 162)], fill=(120, 50, 40))                     # roof
    d.rectangle((100, 190, 120, 220), fill=(70, 45, 30))                                  # door
    d.rectangle((80, 172, 96, 186), fill=(250, 240, 170))                                 # window
    d.rectangle((128, 172, 144, 186), fill=(250, 240, 170))
    d.rectangle((262, 170, 272, 215), fill=(95, 60, 35))                                  # trunk
    d.ellipse((235, 120, 300, 185), fill=(40, 100, 45))                                   # crown
    for _ in range(40):                                                                   # flowers
        x, yy = int(rng.integers(0, W)), int(rng.integers(225, H))
        c = [(250, 250, 250), (250, 210, 60), (230, 90, 120)][int(rng.integers(0, 3))]
        d.ellipse((x - 2, yy - 2, x + 2, yy + 2), fill=c)
    arr = np.asarray(im).astype(np.int16) + rng.integers(-4, 5, size=(H, W, 1), dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def logo() -> Image.Image:
    im = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((2, 2, 61, 61), fill=(255, 255, 255, 200), outline=(30, 30, 30, 255), width=3)
    d.polygon([(18, 44), (32, 16), (46, 44)], fill=(220, 40, 40, 255))
    d.rectangle((26, 36, 38, 48), fill=(30, 90, 200, 255))
    return im


def rotated() -> tuple[Image.Image, bytes]:
    """A small upright picture (arrow pointing up), stored rotated with EXIF Orientation 6."""
    up = Image.new("RGB", (120, 80), (235, 235, 235))
    d = ImageDraw.Draw(up)
    d.polygon([(60, 8), (92, 44), (72, 44), (72, 72), (48, 72), (48, 44), (28, 44)], fill=(30, 110, 200))
    stored = up.transpose(Image.Transpose.ROTATE_90)      # what the sensor wrote: rotated 90° ccw
    exif = Image.Exif()
    exif[0x0112] = 6                                       # "rotate 90° clockwise to display"
    return stored, exif.tobytes()


def main() -> None:
    s = scene()
    s.save(HERE / "scene.jpg", quality=90, optimize=True)
    s.save(HERE / "scene.png", optimize=True)
    logo().save(HERE / "logo.png", optimize=True)
    stored, exif = rotated()
    stored.save(HERE / "rotated.jpg", quality=90, exif=exif)
    for name in ("scene.jpg", "scene.png", "logo.png", "rotated.jpg"):
        p = HERE / name
        with Image.open(p) as im:
            print(f"{name:12} {im.size[0]}×{im.size[1]} {im.mode:5} {p.stat().st_size:7d} bytes")


if __name__ == "__main__":
    main()
