"""Pillow implementation of x-oss-process (oss-process.md §2, §5.2)."""
from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from imgx_kit.core.errors import ImageInputError, ImgxError, ProcessSyntaxError
from imgx_kit.core.oss_process import ACTIONS, FONTS, Action, Process, b64url_encode
from imgx_kit.services.oss_apply import apply, load_source, render, run


def make(w=400, h=267, fmt="JPEG", mode="RGB", color=(92, 120, 59), **save) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), color).save(buf, fmt, **save)
    return buf.getvalue()


SRC = make()                 # 400×267 JPEG, like example.jpg
SRC2 = make(200, 100)
SRC3 = make(400, 300)


# ---- §5.2 geometry ------------------------------------------------------------------------
GEOMETRY = [
    (SRC, "resize,m_fixed,w_100,h_100", (100, 100)),            # 1
    (SRC2, "resize,w_150,h_80", (150, 75)),                      # 2
    (SRC2, "resize,w_150,h_80,m_mfit", (160, 80)),
    (SRC2, "resize,w_150,h_80,m_fill", (150, 80)),
    (SRC2, "resize,w_150,h_80,m_pad", (150, 80)),
    (SRC2, "resize,w_150,h_80,m_fixed", (150, 80)),
    (SRC3, "resize,h_100,w_300,m_lfit", (133, 100)),             # 3
    (SRC, "resize,w_100", (100, 67)),                            # 4
    (SRC, "resize,w_500", (400, 267)),                           # 5
    (SRC, "resize,w_500,limit_0", (500, 334)),                   # 6
    (SRC, "resize,l_100", (100, 67)),                            # 7
    (SRC, "resize,s_100", (150, 100)),
    (SRC, "resize,p_50", (200, 134)),
    (SRC2, "resize,m_fixed,h_100", (100, 100)),                  # 8
    (SRC, "crop,w_100,h_100,x_100,y_100", (100, 100)),           # 9
    (SRC, "crop,x_300,y_200", (100, 67)),                        # 10
    (SRC, "crop,w_200,h_200,g_se,x_10,y_10", (190, 190)),        # 11
    (SRC, "rotate,90", (267, 400)),                              # 12
    (SRC, "rotate,70", (388, 468)),                              # 13
    (SRC, "circle,r_100", (201, 201)),                           # 14
    (SRC, "circle,r_500", (267, 267)),
    (SRC, "indexcrop,x_100,i_0", (100, 267)),                    # 15
    (SRC, "indexcrop,y_100,i_10", (400, 267)),
    (SRC, "crop,w_100,h_100/rounded-corners,r_10/format,png", (100, 100)),  # 16
]


@pytest.mark.parametrize("src,process,size", GEOMETRY, ids=[g[1] for g in GEOMETRY])
def test_geometry(src, process, size):
    out = apply("image/" + process, src)
    assert out.size == size


def test_pad_centres_the_image_on_the_colour():
    out = apply("image/resize,w_150,h_80,m_pad,color_FF0000", SRC2)
    arr = np.asarray(out)
    assert out.size == (150, 80)
    assert tuple(arr[0, 75]) == (255, 0, 0) and tuple(arr[79, 75]) == (255, 0, 0)  # bands
    assert abs(int(arr[40, 75, 0]) - 92) <= 3                       # picture in the middle


def test_rounded_corners_png_has_transparent_corners():
    out = apply("image/crop,w_100,h_100/rounded-corners,r_10/format,png", SRC)
    assert out.mode == "RGBA" and out.format == "PNG"
    assert out.getpixel((0, 0))[3] == 0 and out.getpixel((50, 50))[3] == 255


def test_circle_jpg_outside_is_white():
    out = apply("image/circle,r_50", SRC)
    assert out.mode == "RGB" and out.size == (101, 101)
    assert out.getpixel((0, 0)) == (255, 255, 255)


def test_rotate_corner_fill_white_for_jpg_transparent_for_png():
    assert apply("image/rotate,45", SRC).getpixel((0, 0)) == (255, 255, 255)
    assert apply("image/rotate,45/format,png", SRC).getpixel((0, 0))[3] == 0


def test_crop_origin_outside_image():
    with pytest.raises(ImageInputError) as info:
        apply("image/crop,x_400", SRC)
    assert "Advance cut's position is out of image" in str(info.value)
    assert info.value.code == "BadRequest"


def test_resize_output_over_limit():
    with pytest.raises(ImageInputError) as info:
        apply("image/resize,m_fixed,w_5000,h_5000,limit_0", SRC)
    assert info.value.ec == "0040-00000007"


def test_auto_orient_applies_first():
    exif = Image.Exif()
    exif[0x0112] = 6                             # rotate 90° clockwise to display
    data = make(400, 300, exif=exif.tobytes())
    assert apply("image/resize,w_100/auto-orient,1", data).size == (100, 133)
    assert apply("image/resize,w_100/auto-orient,0", data).size == (100, 75)
    assert apply("image/resize,w_100", data).size == (100, 133)          # default: on
    assert apply("image/resize,w_100", data, auto_orient=False).size == (100, 75)


def test_adjustments_change_pixels_not_size():
    base = np.asarray(apply("image/format,png", SRC), dtype=int)
    bright = np.asarray(apply("image/bright,50/format,png", SRC), dtype=int)
    dark = np.asarray(apply("image/contrast,-100/format,png", SRC), dtype=int)
    assert bright.shape == base.shape
    assert abs((bright - base).mean() - 127.5) < 2
    assert dark.std() < 2
    for p in ("blur,r_3,s_2", "sharpen,100"):
        assert apply("image/" + p, SRC).size == (400, 267)


def test_text_watermark_draws_in_the_corner():
    white = make(200, 100, "PNG", color=(255, 255, 255))
    out = apply("image/watermark,text_SGVsbG8gV29ybGQ,color_FF0000,size_30,g_se,x_10,y_10",
                white)
    arr = np.asarray(out)
    assert out.size == (200, 100)
    red = np.argwhere((arr[:, :, 0] > 200) & (arr[:, :, 1] < 100))
    assert len(red) > 50
    assert red[:, 0].max() < 90 and red[:, 1].max() < 190    # inside the 10-px margins (se)
    assert red[:, 0].min() > 40 and red[:, 1].min() > 20     # anchored bottom-right
    assert (arr[:40] == 255).all()                           # top untouched


def test_image_watermark_uses_fetch_and_preprocess():
    logo = make(40, 40, "PNG", color=(0, 0, 255))
    white = make(200, 100, "PNG", color=(255, 255, 255))
    p = Process().watermark(image="logo.png", image_process="image/resize,P_10", g="nw", x=0,
                            y=0)
    seen = []
    out = apply(p, white, fetch=lambda key: seen.append(key) or logo)
    arr = np.asarray(out)
    assert seen == ["logo.png"]
    blue = np.argwhere((arr[:, :, 2] > 200) & (arr[:, :, 0] < 50))
    assert blue.max(axis=0)[:2].tolist() == [9, 9]    # 10×10 = 10 % of the 100-px short side
    with pytest.raises(ImageInputError):
        apply(p, white)                               # no fetch
    with pytest.raises(ImageInputError) as info:
        apply(p, white, fetch=lambda key: (_ for _ in ()).throw(KeyError(key)))
    assert info.value.code == "NoSuchKey"


# ---- format / quality / interlace ---------------------------------------------------------
def test_format_conversion_and_content_type():
    for fmt, ctype, magic in (("png", "image/png", b"\x89PNG"), ("webp", "image/webp", b"RIFF"),
                              ("bmp", "image/bmp", b"BM"), ("tiff", "image/tiff", b"II"),
                              ("jpg", "image/jpeg", b"\xff\xd8")):
        body, ct = render(f"image/format,{fmt}", SRC)
        assert ct == ctype and body.startswith(magic)


def test_gif_format_keeps_a_non_gif_source_format():
    _body, ct = render("image/format,gif", SRC)
    assert ct == "image/jpeg"
    _body, ct = render("image/resize,w_10", make(20, 20, "GIF", mode="P", color=1))
    assert ct == "image/gif"


def test_gif_never_enlarges():
    gif = make(20, 20, "GIF", mode="P", color=1)
    assert apply("image/resize,w_40,limit_0", gif).size == (20, 20)


def test_png_with_alpha_to_jpg_becomes_white():
    src = make(10, 10, "PNG", mode="RGBA", color=(0, 0, 0, 0))
    out = apply("image/format,jpg", src)
    assert out.mode == "RGB" and out.getpixel((5, 5)) == (255, 255, 255)


def test_without_format_output_keeps_source_format():
    assert render("image/resize,w_10", make(20, 20, "PNG"))[1] == "image/png"
    assert render("image/resize,w_10", make(20, 20, "WEBP"))[1] == "image/webp"


def test_quality_rules():
    src80 = make(quality=80)
    assert load_source(src80).quality == 80
    assert run("image/quality,q_90", src80).quality == 72        # 80 × 90 %
    assert run("image/quality,Q_90", src80).quality == 80        # min(Q, source)
    assert run("image/quality,Q_50", src80).quality == 50
    assert run("image/quality,q_90,Q_60", src80).quality == 60   # Q wins
    assert run("image/resize,w_10", src80).quality == 80         # default: the source's
    assert run("image/quality,q_50/format,png", src80).quality is None
    assert run("image/quality,q_50", make(fmt="WEBP")).quality == 50  # WebP: q acts as Q
    small = render("image/quality,Q_10", SRC)[0]
    big = render("image/quality,Q_95", SRC)[0]
    assert load_source(small).quality == 10 and load_source(big).quality in (75, 76)


def test_interlace_makes_progressive_jpg():
    body, _ = render("image/interlace,1", SRC)
    assert Image.open(io.BytesIO(body)).info.get("progressive") == 1
    body, _ = render("image/interlace,0", SRC)
    assert not Image.open(io.BytesIO(body)).info.get("progressive")


# ---- info / average-hue -------------------------------------------------------------------
def test_info_shape():
    data = apply("image/info", SRC)
    assert data == {"FileSize": {"value": str(len(SRC))}, "Format": {"value": "jpg"},
                    "FrameCount": {"value": "1"}, "ImageHeight": {"value": "267"},
                    "ImageWidth": {"value": "400"}, "ResolutionUnit": {"value": "1"},
                    "XResolution": {"value": "1/1"}, "YResolution": {"value": "1/1"}}
    body, ct = render("image/info", SRC)
    assert ct == "application/json" and json.loads(body) == data


def test_info_with_exif():
    exif = Image.Exif()
    exif[0x0112] = 7
    exif[0x0132] = "2015:02:11 15:38:27"
    exif[0x0128] = 2
    exif[0x011A] = 96.0
    data = apply("image/info", make(exif=exif.tobytes()))
    assert data["Orientation"] == {"value": "7"}
    assert data["DateTime"] == {"value": "2015:02:11 15:38:27"}
    assert data["ResolutionUnit"] == {"value": "2"}
    assert data["XResolution"] == {"value": "96/1"}
    assert data["ImageWidth"] == {"value": "400"}      # the source, not auto-oriented


def test_average_hue_shape():
    assert apply("image/average-hue", make(fmt="PNG")) == {"RGB": "0x5c783b"}
    body, ct = render("image/average-hue", make(fmt="PNG"))
    assert ct == "application/json" and json.loads(body) == {"RGB": "0x5c783b"}


# ---- styles, inputs and errors ------------------------------------------------------------
def test_style_resolution():
    out = apply("style/small", SRC, styles={"small": "image/resize,w_50"})
    assert out.size == (50, 33)
    with pytest.raises(ProcessSyntaxError) as info:
        apply("style/missing", SRC, styles={})
    assert info.value.code == "NoSuchStyle" and info.value.status == 404


def test_process_object_and_pil_input():
    im = Image.new("RGB", (400, 267))
    out = apply(Process().resize(w=100).rotate(90).format("png"), im)
    assert out.size == (67, 100) and out.format == "PNG"


def test_invalid_process_string_raises_syntax_error():
    with pytest.raises(ProcessSyntaxError):
        apply("image/resize,w_0", SRC)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"x" * 20,
                                  SRC[: len(SRC) // 2]])
def test_non_image_or_broken_input(data):
    with pytest.raises(ImageInputError) as info:
        apply("image/resize,w_10", data)
    assert info.value.hint


def test_wrong_input_type():
    with pytest.raises(ImageInputError):
        apply("image/resize,w_10", 12345)


def _png_header(w: int, h: int) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_source_over_side_limit():
    with pytest.raises(ImageInputError) as info:
        load_source(_png_header(30001, 1))
    assert "30000" in str(info.value) and info.value.code == "ImageTooLarge"


def test_source_over_pixel_limit():
    with pytest.raises(ImageInputError) as info:
        load_source(_png_header(16000, 16000))
    assert info.value.code == "ImageTooLarge"


def test_source_over_byte_limit():
    with pytest.raises(ImageInputError) as info:
        load_source(b"\xff\xd8" + bytes(20 * 1024 * 1024))
    assert "20 MB" in str(info.value)


def test_rotate_input_over_4096():
    big = Image.new("L", (4097, 2))
    with pytest.raises(ImageInputError) as info:
        apply("image/rotate,90", big)
    assert "4096" in str(info.value)


def test_styles_must_be_a_mapping():
    with pytest.raises(ProcessSyntaxError, match="mapping"):
        apply("style/small", SRC, styles=["small"])


def test_a_hand_built_process_is_validated_before_it_runs():
    with pytest.raises(ProcessSyntaxError) as info:
        apply(Process((Action("circle"),)), SRC)
    assert info.value.parameter == "r" and info.value.code == "MissingArgument"


def test_result_views():
    r = run("image/resize,w_10", SRC)
    assert repr(r) == "OssResult(size=(10, 7), mode='RGB', format='jpg', quality=75, progressive=False)"
    assert r._repr_html_().startswith("<div><img src='data:image/png;base64,")


# ---- animated GIFs (oss-process.md §1.5 GIF row, §2.11) -----------------------------------------
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def animated_gif(w=40, h=30, durations=(100, 200, 300, 400), loop=0) -> bytes:
    frames = [Image.new("RGB", (w, h), c) for c in COLOURS[:len(durations)]]
    buf = io.BytesIO()
    kw = {"loop": loop} if loop is not None else {}
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=list(durations), **kw)
    return buf.getvalue()


def frames_of(body: bytes) -> list[tuple[tuple[int, int], int, tuple[int, int, int]]]:
    """(size, duration, centre colour) of every frame."""
    im = Image.open(io.BytesIO(body))
    out = []
    for i in range(getattr(im, "n_frames", 1)):
        im.seek(i)
        rgb = im.convert("RGB")
        out.append((im.size, im.info.get("duration"), rgb.getpixel((im.width // 2, im.height // 2))))
    return out


@pytest.mark.parametrize("process, size", [("image/resize,w_20", (20, 15)), ("image/crop,w_10,h_12,g_se", (10, 12)),
                                           ("image/blur,r_3,s_2", (40, 30)), ("image/circle,r_10", (21, 21)),
                                           ("image/resize,w_20/format,gif", (20, 15))])
def test_an_animated_gif_keeps_every_frame_with_its_duration(process, size):
    body, ctype = render(process, animated_gif())
    assert ctype == "image/gif"
    got = frames_of(body)
    assert [f[0] for f in got] == [size] * 4
    assert [f[1] for f in got] == [100, 200, 300, 400]
    assert [f[2] for f in got] == COLOURS            # frame order and content kept
    assert Image.open(io.BytesIO(body)).info.get("loop") == 0


def test_a_gif_that_plays_once_still_plays_once():
    body, _ = render("image/resize,w_20", animated_gif(loop=None))
    assert len(frames_of(body)) == 4 and "loop" not in Image.open(io.BytesIO(body)).info


@pytest.mark.parametrize("process, size", [("image/rotate,90", (30, 40)), ("image/rounded-corners,r_5", (40, 30)),
                                           ("image/resize,p_50", (20, 15))])
def test_rotate_rounded_corners_and_percent_resize_make_a_still(process, size):
    got = frames_of(render(process, animated_gif())[0])
    assert len(got) == 1 and got[0][0] == size and got[0][2] == COLOURS[0]


def test_an_animated_gif_converted_to_another_format_is_its_first_frame():
    body, ctype = render("image/resize,w_20/format,png", animated_gif())
    assert ctype == "image/png" and frames_of(body) == [((20, 15), None, COLOURS[0])]


def test_apply_returns_the_animation_and_run_its_frames():
    out = apply("image/resize,w_20", animated_gif())
    assert out.format == "GIF" and out.is_animated and out.n_frames == 4 and out.size == (20, 15)
    result = run("image/resize,w_20", animated_gif())
    assert result.animated and len(result.frames) == 4 and result.durations == (100, 200, 300, 400)
    assert "frames=4" in repr(result) and "image/gif" in result._repr_html_()
    assert apply("image/info", animated_gif())["FrameCount"] == {"value": "4"}


def test_a_callers_pil_image_keeps_its_current_frame():
    im = Image.open(io.BytesIO(animated_gif()))
    im.seek(2)
    assert run("image/resize,w_20", im).animated
    assert im.tell() == 2


# ---- HEIC (the optional heic extra, installed with the test extra) ----------------------------
def test_a_heic_source_is_read_and_stays_heic():
    import pillow_heif  # part of the test extra
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buf, "HEIF", quality=90)
    body, ctype = render("image/resize,w_32", buf.getvalue())
    assert ctype == "image/heic" and body[4:12] == b"ftypheic"
    out = Image.open(io.BytesIO(body))
    assert out.size == (32, 24)
    assert max(abs(a - b) for a, b in zip(out.getpixel((16, 12)), (200, 10, 10), strict=True)) < 16
    assert apply("image/info", buf.getvalue())["Format"] == {"value": "heic"}


def test_format_heic_writes_heic():
    body, ctype = render("image/resize,w_100/format,heic", SRC)
    assert ctype == "image/heic" and body[4:12] == b"ftypheic" and Image.open(io.BytesIO(body)).size == (100, 67)


def test_without_pillow_heif_heic_is_a_clear_error(monkeypatch):
    from imgx_kit.services import oss_apply
    heic = b"\x00\x00\x00\x1cftypheic" + bytes(40)
    monkeypatch.setitem(__import__("sys").modules, "pillow_heif", None)   # import fails
    oss_apply._register_heif.cache_clear()
    try:
        for call in (lambda: render("image/resize,w_10", heic), lambda: render("image/format,heic", SRC)):
            with pytest.raises(ImageInputError) as e:
                call()
            assert "pillow-heif" in str(e.value) and "imgx-kit[heic]" in str(e.value)
    finally:
        oss_apply._register_heif.cache_clear()


# ---- every Pillow mode; 16-bit, 32-bit and float samples --------------------------------------
def encoded(im: Image.Image, fmt: str = "PNG", **save) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def grey16(value: int, fmt: str = "PNG") -> bytes:
    return encoded(Image.fromarray(np.full((8, 8), value, np.uint16)), fmt)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_sources_are_scaled_not_clipped(fmt):
    assert apply("image/resize,w_4", grey16(32768, fmt)).getpixel((0, 0)) == (128, 128, 128)
    assert apply("image/resize,w_4", grey16(100, fmt)).getpixel((0, 0)) == (0, 0, 0)
    assert apply("image/average-hue", grey16(32768, fmt)) == {"RGB": "0x808080"}
    assert apply("image/average-hue", grey16(65535, fmt)) == {"RGB": "0xffffff"}
    info = apply("image/info", grey16(32768, fmt))
    assert info["Format"] == {"value": fmt.lower()} and info["ImageWidth"] == {"value": "8"}
    assert info["FileSize"] == {"value": str(len(grey16(32768, fmt)))}


@pytest.mark.parametrize("mode,value,grey", [
    ("I;16", 32768, 128), ("I;16B", 65535, 255), ("I;16L", 257, 1),
    ("I", 32768, 128),                      # fits 16 bits: a 16-bit sample
    ("I", 2 ** 30, 128), ("I", -5, 0),      # otherwise scaled from 0..2³¹−1
    ("F", 0.5, 128), ("F", 1.0, 255),       # 0..1
    ("F", 128.0, 128), ("F", 300.0, 255),   # over 1: Pillow's 0..255
    ("F", float("nan"), 0),
])
def test_wide_pil_modes_are_scaled_from_their_range(mode, value, grey):
    out = apply("image/resize,w_2", Image.new(mode, (4, 2), value))
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (grey, grey, grey)
    assert apply("image/info", Image.new(mode, (4, 2), value))["ImageWidth"] == {"value": "4"}


def test_a_16_bit_transparent_value_becomes_alpha():
    im = Image.new("I;16", (2, 1), 7)
    im.putpixel((1, 0), 40000)
    im.info["transparency"] = 7
    out = apply("image/format,png", im)
    assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0
    assert out.getpixel((1, 0)) == (156, 156, 156, 255)


@pytest.mark.parametrize("mode,value,expected", [
    ("1", 1, (255, 255, 255)), ("L", 200, (200, 200, 200)), ("CMYK", (0, 255, 255, 0), (255, 0, 0)),
    ("YCbCr", (76, 85, 255), (254, 0, 0)), ("LAB", (138, 208, 195), (251, 9, 11)),
    ("HSV", (0, 255, 255), (255, 0, 0)), ("RGBX", (255, 0, 0, 0), (255, 0, 0)),
    ("RGBa", (128, 0, 0, 128), (255, 0, 0, 128)), ("LA", (100, 50), (100, 100, 100, 50)),
    ("La", (64, 128), (127, 127, 127, 128)), ("PA", (0, 128), (0, 0, 0, 128)),
])
def test_every_pillow_mode_without_a_format_is_converted(mode, value, expected):
    im = Image.new(mode, (4, 4), value)
    out = apply("image/rotate,90", im)
    assert out.mode == ("RGBA" if len(expected) == 4 else "RGB") and out.format == "PNG"
    assert out.getpixel((1, 1)) == expected
    assert int(apply("image/info", im)["FileSize"]["value"]) > 0
    assert apply("image/format,jpg", im).mode == "RGB"


def test_a_cropped_cmyk_jpeg_has_no_format_and_still_works():
    cmyk = Image.open(io.BytesIO(encoded(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG")))
    cropped = cmyk.crop((0, 0, 20, 20))
    assert cropped.format is None
    out = apply("image/resize,w_10", cropped)
    assert out.size == (10, 10)
    assert max(abs(a - b) for a, b in zip(out.getpixel((5, 5)), (255, 0, 0), strict=True)) < 8
    assert apply("image/info", cropped)["Format"] == {"value": "png"}


@pytest.mark.parametrize("size", [(0, 5), (5, 0), (0, 0)])
@pytest.mark.parametrize("process", ["image/info", "image/average-hue", "image/resize,w_10"])
def test_an_empty_pil_image_is_an_input_error(size, process):
    with pytest.raises(ImageInputError) as info:
        apply(process, Image.new("RGB", size))
    assert "empty" in str(info.value) and info.value.code == "BadRequest" and info.value.hint


# ---- whatever the lenient parser accepts runs or fails cleanly (Hypothesis) ---------------------
def _value(ps) -> st.SearchStrategy[str]:
    """Valid text for one parameter, kept small so the images stay small."""
    if ps.kind == "int":
        lo = max(ps.lo, -20)
        return st.integers(lo, max(lo, min(ps.hi, 60))).map(str)
    if ps.kind == "choice":
        return st.sampled_from(ps.choices)
    if ps.kind == "color":
        return st.sampled_from(["FF0000", "00ff00"])
    if ps.kind == "b64text":
        return st.sampled_from(["Hi", "图片"]).map(b64url_encode)
    if ps.kind == "b64font":
        return st.sampled_from(FONTS).map(b64url_encode)
    return st.sampled_from(["wm.png", "wm.png?x-oss-process=image/resize,P_50/rotate,30",
                            "wm.png?x-oss-process=image/indexcrop,x_2,i_1/rounded-corners,r_2"]
                           ).map(b64url_encode)


@st.composite
def lenient_action(draw) -> str:
    """An action with any of its parameters, repeated or missing, plus unknown keys."""
    spec = ACTIONS[draw(st.sampled_from(sorted(ACTIONS)))]
    args = []
    for _ in range(draw(st.integers(0, 4))):
        if not spec.params or draw(st.integers(0, 5)) == 0:
            args.append(draw(st.sampled_from(["zz_1", "P_5", "a_b"])))
            continue
        ps = draw(st.sampled_from(spec.params))
        value = draw(_value(ps))
        args.append(f"{ps.key}_{value}" if ps.key else value)
    return ",".join([spec.name, *args])


def _exif_jpeg(w: int, h: int, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(Image.new("RGB", (w, h), (10, 200, 30)), "JPEG", exif=exif)


def _palette_with_transparency() -> bytes:
    im = Image.new("P", (5, 3), 0)
    im.putpalette([255, 0, 0, 0, 255, 0] * 128)
    im.info["transparency"] = 0
    return encoded(im)


SMALL = [make(6, 4), _palette_with_transparency(), grey16(30000),
         make(1, 1, "PNG", "RGBA", (1, 2, 3, 4)), _exif_jpeg(1, 300, 6),
         animated_gif(6, 4, (50, 60, 70)), Image.new("CMYK", (4, 4)), Image.new("La", (3, 2)),
         Image.new("F", (2, 3), 0.25)]
WATERMARK = make(5, 5, "PNG", "RGBA", (0, 0, 255, 128))


@settings(max_examples=300, deadline=None)
@given(st.lists(lenient_action(), min_size=1, max_size=4), st.integers(0, len(SMALL) - 1))
def test_whatever_the_lenient_parser_accepts_runs_or_fails_cleanly(actions, i):
    try:
        p = Process.parse("image/" + "/".join(actions), strict=False)
    except ProcessSyntaxError:
        return
    assert Process.parse(str(p)) == p            # the canonical text is strictly valid
    try:
        run(p, SMALL[i], fetch=lambda key: WATERMARK).encode()
    except ImgxError:
        pass                                     # anything else fails the test
