"""x-oss-process builder and validating parser (oss-process.md §1, §2, §5.1)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from imgx_kit.core.errors import ImgxError, ProcessSyntaxError
from imgx_kit.core.oss_process import (
    ACTIONS,
    Action,
    Param,
    Process,
    SaveAs,
    b64url_decode,
    b64url_encode,
    split_watermark_image,
)


def err(text: str, **kw) -> ProcessSyntaxError:
    with pytest.raises(ProcessSyntaxError) as info:
        Process.parse(text, **kw)
    e = info.value
    assert isinstance(e, ImgxError)
    return e


# ---- §5.1 accepted cases ------------------------------------------------------------------
def test_case01_resize_w():
    p = Process.parse("image/resize,w_100")
    assert p.actions == (Action("resize", (Param("w", 100),)),)
    assert str(p) == "image/resize,w_100"


def test_case02_three_actions_in_order():
    p = Process.parse("image/resize,w_100/rotate,90/format,png")
    assert [a.name for a in p.actions] == ["resize", "rotate", "format"]
    assert p.actions[1].bare == 90 and p.actions[2].bare == "png"
    assert str(p) == "image/resize,w_100/rotate,90/format,png"


def test_case03_canonical_order():
    p = Process.parse("image/resize,h_100,m_lfit,w_100")
    assert str(p) == "image/resize,m_lfit,w_100,h_100"
    assert [x.key for x in p.actions[0].params] == ["m", "w", "h"]


def test_case04_crop_gravity():
    a = Process.parse("image/crop,x_10,y_10,w_200,h_200,g_se").actions[0]
    assert (a["x"], a["y"], a["w"], a["h"], a["g"]) == (10, 10, 200, 200, "se")
    assert a.text == "crop,w_200,h_200,x_10,y_10,g_se"


def test_case05_text_watermark():
    a = Process.parse("image/watermark,text_SGVsbG8gV29ybGQ,color_FFFFFF,size_30,g_se,x_10,y_10"
                      ).actions[0]
    assert a["text"] == "Hello World"
    assert (a["color"], a["size"], a["g"], a["x"], a["y"]) == ("FFFFFF", 30, "se", 10, 10)


def test_case06_image_watermark_with_preprocess():
    a = Process.parse("image/watermark,image_cGFuZGEucG5nP3gtb3NzLXByb2Nlc3M9aW1hZ2UvcmVzaXplLFBfMzA,"
                      "t_90").actions[0]
    key, pre = split_watermark_image(a["image"])
    assert key == "panda.png"
    assert pre == (Action("resize", (Param("P", 30),)),)
    assert a["t"] == 90


def test_case07_quality_case_sensitive():
    q = Process.parse("image/quality,q_80").actions[0]
    big_q = Process.parse("image/quality,Q_80").actions[0]
    assert q.params == (Param("q", 80),) and big_q.params == (Param("Q", 80),)
    assert q != big_q


def test_case08_info_alone():
    assert Process.parse("image/info").actions == (Action("info"),)


def test_case09_info_cannot_be_combined():
    e = err("image/resize,w_100/info")
    assert e.action == "info" and e.column == 20 and "cannot be combined" in str(e)
    assert e.allowed == "image/info on its own"


def test_case10_style():
    p = Process.parse("style/small")
    assert p.style_name == "small" and p.actions == () and str(p) == "style/small"


def test_case11_saveas():
    text = "image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc,b_ZXhhbXBsZWJ1Y2tldA"
    p = Process.parse(text)
    assert p.save_as == SaveAs("dest.jpg", "examplebucket")
    assert p.post_only and str(p) == text
    assert p.post_body() == ("x-oss-process=" + text).encode()
    assert str(p.without_saveas()) == "image/resize,w_100"


def test_case12_adjustments():
    p = Process.parse("image/bright,-50/contrast,50/sharpen,100/blur,r_3,s_2")
    assert [(a.name, a.bare) for a in p.actions[:3]] == [("bright", -50), ("contrast", 50),
                                                          ("sharpen", 100)]
    assert (p.actions[3]["r"], p.actions[3]["s"]) == (3, 2)


# ---- §5.1 rejected cases: (text, EC, column, parameter) -----------------------------------
REJECTED = [
    ("image/", "0040-00000212", 7, None),                                          # 13
    ("image/slim,1", "0040-00000213", 7, None),                                    # 14
    ("image/flip,1", "0040-00000213", 7, None),                                    # 15
    ("image/resize,w_0", "0040-00000312", 16, "w"),                                # 16
    ("image/resize,w_100,m_abc", "0040-00000311", 22, "m"),                        # 17
    ("image/resize,p_0", "0040-00000317", 16, "p"),                                # 18
    ("image/resize,w_100,limit_3", "0040-00000319", 26, "limit"),                  # 19
    ("image/rotate,400", "0040-00000217", 14, None),                               # 20
    ("image/rotate,abc", "0040-00000217", 14, None),
    ("image/rotate,a_90", "0040-00000217", 14, "a"),
    ("image/rotate,90,200,300", "0040-00000203", 17, None),                        # 21
    ("image/format,dng", "0040-00000206", 14, None),                               # 22
    ("image/format,f_webp", "0040-00000206", 14, "f"),
    ("image/format", "0040-00000207", 7, None),                                    # 23
    ("image/quality,Q_200", "0040-00000308", 17, "Q"),                             # 24
    ("image/quality,q_200", "0040-00000309", 17, "q"),
    ("image/quality,200", "0040-00000310", 15, None),
    ("image/bright,200", "0040-00000246", 14, None),                               # 25
    ("image/bright", "0040-00000245", 7, None),
    ("image/sharpen,10", "0040-00000280", 15, None),                               # 26
    ("image/sharpen", "0040-00000279", 7, None),
    ("image/circle,r_5000", "0040-00000233", 16, "r"),                             # 27
    ("image/rounded-corners,r_abc", "0040-00000237", 25, "r"),
    ("image/auto-orient,10", "0040-00000215", 19, None),                           # 28
    ("image/crop,x_100,y_50,w_abc,h_100", "0040-00000225", 25, "w"),               # 29
    ("image/crop,x_100,y_50,w_-1,h_100", "0040-00000225", 25, "w"),
    ("image/watermark,text_notbase64", "0040-00000257", 22, "text"),               # 30
    ("image/watermark,image_notbase64", "0040-00000265", 23, "image"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,type_bm90c3VwcG9ydAo", "0040-00000251", 43, "type"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,fill_1,padx_5000", "0040-00000276", 50, "padx"),
    ("image/watermark,image_cGFuZGEucG5nP3gtb3NzLXByb2Nlc3M9aW1hZ2Uvd2F0ZXJtYXJrLGltYWdlX2NHRnVa"
     "R0V1Y0c", "0040-00000373", 23, "image"),
]


@pytest.mark.parametrize("text,ec,column,parameter", REJECTED, ids=[r[0][:45] for r in REJECTED])
def test_rejected_cases_carry_ec_position_and_allowed(text, ec, column, parameter):
    e = err(text)
    assert e.ec == ec
    assert e.column == column
    assert e.parameter == parameter
    assert e.allowed
    assert e.status == 400
    assert f"column {column}" in str(e) and e.allowed in str(e)


def test_rejected_values_name_the_range():
    assert err("image/resize,w_0").allowed == "an integer 1..16384"
    assert err("image/rotate,400").allowed == "an integer 0..360"
    assert err("image/bright,200").allowed == "an integer -100..100"
    assert err("image/format,dng").allowed == "one of jpg, png, webp, bmp, gif, tiff, heic, avif"
    assert err("image/format,dng").suggestion == "png"


# ---- more malformed processes (≥ 15) ------------------------------------------------------
MALFORMED = [
    # text, action, parameter, column, suggestion, allowed contains
    ("image/reszie,w_100", "reszie", None, 7, "resize", "resize, crop"),
    ("image/Resize,w_100", "Resize", None, 7, "resize", "resize"),
    ("image/resize,width_100", "resize", "width", 14, "w", "m_, w_, h_"),
    ("image/resize,wdth_100", "resize", "wdth", 14, "w", "w_"),
    ("image/crop,gravity_se", "crop", "gravity", 12, "g", "g_"),
    ("image/resize,m_lfti,w_10", "resize", "m", 16, "lfit", "lfit, mfit"),
    ("image/resize,w_", "resize", "w", 14, None, "1..16384"),
    ("image/resize,w_100,w_200", "resize", "w", 20, None, "each parameter once"),
    ("image/resize,w_100//rotate,90", None, None, 20, None, "an action"),
    ("image/resize,w_100/", None, None, 20, None, "an action"),
    ("image/resize,,w_100", "resize", None, 14, None, "w_"),
    ("img/resize,w_100", None, None, 1, None, "image/<action>"),
    ("resize,w_100", None, None, 1, None, "style/<name>"),
    ("image/resize,w_100/image/rotate,90", "image", None, 20, None, "resize"),
    ("image/resize", "resize", None, 7, None, "w_"),
    ("image/resize,100", "resize", None, 14, None, "w_"),
    ("image/circle", "circle", "r", 7, None, "r_"),
    ("image/blur,r_3", "blur", "s", 7, None, "s_"),
    ("image/indexcrop,i_1", "indexcrop", None, 7, None, "x_, y_"),
    ("image/watermark,t_50", "watermark", None, 7, None, "image_, text_"),
    ("image/watermark,text_SGVsbG8+V29ybGQ", "watermark", "text", 22, None, "URL-safe base64"),
    ("image/watermark,text_" + b64url_encode("x" * 65), "watermark", "text", 22, None, "64 bytes"),
    ("image/watermark,color_#FF0000,text_SGk", "watermark", "color", 23, None, "6 hex digits"),
    ("image/resize,w_100,color_GGGGGG", "resize", "color", 26, None, "6 hex digits"),
    ("image/info,1", "info", None, 12, None, "just 'info'"),
    ("image/average-hue/rotate,90", "average-hue", None, 7, None, "on its own"),
    ("image/resize,w_100 ", None, None, 19, None, "no whitespace"),
    ("image%2Fresize%2Cw_100", None, None, 6, None, "decoded form"),
    ("x-oss-process=image/resize,w_100", None, None, 1, None, "image/<action>"),
    ("image/resize,w_100|sys/saveas", "sys/saveas", "o", 20, None, "sys/saveas,o_"),
    ("image/resize,w_100|sys/saveas,o_!!", "sys/saveas", "o", 33, None, "base64"),
    ("image/resize,w_100|sys/save,o_eA", "sys/save", None, 20, "sys/saveas", "sys/saveas"),
    ("image/resize,w_1|sys/saveas,o_eA,b_" + b64url_encode("Bad_Bucket"), "sys/saveas", "b",
     36, None, "lower-case"),
    ("style/bad name", None, None, 10, None, "no whitespace"),
    ("style/", None, None, 7, None, "1..64"),
    ("image/crop,g_face", "crop", "g", 14, None, "nw, north"),
    ("image/resize,P_30", "resize", "P", 14, "p", "m_, w_"),
    ("image/quality,80,q_80", "quality", None, 7, None, "quality,q_"),
]


@pytest.mark.parametrize("text,action,parameter,column,suggestion,allowed", MALFORMED,
                         ids=[m[0][:40] for m in MALFORMED])
def test_malformed(text, action, parameter, column, suggestion, allowed):
    e = err(text)
    assert e.action == action
    assert e.parameter == parameter
    assert e.column == column
    assert e.suggestion == suggestion
    assert allowed in e.allowed
    assert e.hint  # says what to do


def test_over_long_string():
    text = "image/" + "/".join(["rotate,90"] * 500)
    e = err(text)
    assert e.ec == "0017-00000288" and e.column == 4097 and e.allowed == "at most 4096 bytes"
    assert Process.parse(text, max_length=10_000).actions[-1].bare == 90


def test_too_many_image_watermarks():
    mark = "watermark,image_" + b64url_encode("logo.png")
    e = err("image/" + "/".join([mark] * 4))
    assert e.action == "watermark" and e.parameter == "image"
    assert e.column == 7 + 3 * (len(mark) + 1)
    assert Process.parse("image/" + "/".join([mark] * 3)).find("watermark")[2]["image"] == "logo.png"


def test_standard_base64_hint():
    e = err("image/watermark,text_SGVsbG8+V29ybGQ")
    assert "urlsafe" in e.hint and e.code == "BadRequest"


def test_padded_base64_is_accepted_and_canonicalised():
    p = Process.parse("image/watermark,text_SmF2YUVkZ2U=,type_ZmFuZ3poZW5naGVpdGk=")
    assert p.actions[0]["text"] == "JavaEdge" and p.actions[0]["type"] == "fangzhengheiti"
    assert str(p) == "image/watermark,text_SmF2YUVkZ2U,type_ZmFuZ3poZW5naGVpdGk"


def test_lenient_mode_last_key_wins_and_unknown_dropped():
    p = Process.parse("image/resize,w_100,w_200,zz_1", strict=False)
    assert p.actions[0].params == (Param("w", 200),)


@pytest.mark.parametrize("text,parameter", [("image/circle", "r"), ("image/rounded-corners", "r"),
                                            ("image/circle,zz_1", "r"), ("image/blur,r_3", "s"),
                                            ("image/blur,s_3", "r")])
def test_lenient_mode_keeps_required_parameters(text, parameter):
    e = err(text, strict=False)
    assert e.code == "MissingArgument" and e.parameter == parameter and e.column == 7


@pytest.mark.parametrize("text", ["image/circle,r_5,r_9,zz_1", "image/blur,s_2,r_3,s_4,q_1",
                                  "image/resize,w_100,P_5,w_200", "image/quality,q_80,q_90"])
def test_lenient_results_parse_strictly_to_themselves(text):
    p = Process.parse(text, strict=False)
    assert Process.parse(str(p)) == p


@pytest.mark.parametrize("text,column", [("image/\udc80", 7), ("image/resize,w_1\udc80", 17),
                                         ("image/watermark,text_SGk\udc80", 25),
                                         ("style/\udc80x", 7),
                                         ("image/resize,w_1|sys/saveas,o_\udc80", 31)])
def test_lone_surrogate_is_a_syntax_error_with_its_column(text, column):
    e = err(text)
    assert e.column == column and "surrogate" in str(e) and "UTF-8" in e.hint


@pytest.mark.parametrize("build,action,parameter", [
    (lambda: Process().watermark(text="a\udc80"), "watermark", "text"),
    (lambda: Process().watermark(image="k\udc80.png"), "watermark", "image"),
    (lambda: Process().resize(w=1).saveas("\udc80"), "sys/saveas", "o"),
    (lambda: Process().resize(w=1).saveas("k", "\udcff"), "sys/saveas", "b"),
])
def test_builder_refuses_lone_surrogates(build, action, parameter):
    with pytest.raises(ProcessSyntaxError) as info:
        build()
    assert (info.value.action, info.value.parameter) == (action, parameter)
    assert "surrogate" in str(info.value)


def test_b64url_encode_refuses_lone_surrogates():
    with pytest.raises(ProcessSyntaxError, match="surrogate"):
        b64url_encode("\udc80")
    with pytest.raises(ProcessSyntaxError, match="surrogate"):
        str(Process((Action("watermark", (Param("text", "\ud800"),)),)))


def test_crop_r_is_accepted_for_oss2_compat():
    assert Process.parse("image/crop,w_100,h_100,x_100,y_100,r_1").actions[0]["r"] == 1


# ---- builder ------------------------------------------------------------------------------
def test_builder_issue_example():
    p = Process().resize(w=100, m="lfit").rotate(90).format("png")
    assert str(p) == "image/resize,m_lfit,w_100/rotate,90/format,png"
    assert Process.parse(str(p)) == p
    assert repr(p) == "Process.parse('image/resize,m_lfit,w_100/rotate,90/format,png')"


def test_builder_is_immutable():
    a = Process().resize(w=10)
    b = a.rotate(90)
    assert str(a) == "image/resize,w_10" and str(b) == "image/resize,w_10/rotate,90"


def test_builder_encodes_base64_for_the_caller():
    p = Process().watermark(text="Hello 图片服务!", color="ffffff", size=30)
    assert str(p) == "image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ,color_FFFFFF,size_30"
    p = Process().watermark(image="panda.png", image_process=Process.parse("image/crop,w_10"),
                            t=90)
    assert split_watermark_image(p.actions[0]["image"])[0] == "panda.png"
    p = Process().resize(w=100).saveas("dest.jpg", "examplebucket")
    assert str(p) == "image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc,b_ZXhhbXBsZWJ1Y2tldA"


def test_builder_validates_through_the_parser():
    with pytest.raises(ProcessSyntaxError) as info:
        Process().resize(w=100).resize(w=0)
    e = info.value
    assert (e.action, e.parameter, e.ec, e.column) == ("resize", "w", "0040-00000312", 29)
    with pytest.raises(ProcessSyntaxError):
        Process().resize(m="lfit")                 # no size
    with pytest.raises(ProcessSyntaxError):
        Process().resize(w=100).info()             # info alone
    with pytest.raises(ProcessSyntaxError) as info:
        Process().resize(m="lfit,w_5")             # injection is refused
    assert info.value.parameter == "m"
    with pytest.raises(ProcessSyntaxError):
        Process().watermark(text="x", image_process="image/resize,P_10")  # no image=
    with pytest.raises(ProcessSyntaxError):
        Process().format("dng")


def test_style_and_actions_do_not_mix():
    with pytest.raises(ProcessSyntaxError):
        Process().style("small").rotate(90)
    with pytest.raises(ProcessSyntaxError):
        Process().rotate(90).style("small")
    assert str(Process().style("small")) == "style/small"


def test_views():
    p = Process().resize(w=100, h=50, l=30).quality(q=80, Q=90).rotate(90)
    rows = p.describe()
    assert rows[0] == (1, "resize", "w", "100", "target width, px")
    assert "resize: l_/s_ are ignored because w_ or h_ is given" in p.notes()
    assert "quality: Q_ wins over q_" in p.notes()
    html = p._repr_html_()
    assert "<table>" in html and "target width, px" in html and "Q_ wins" in html
    assert repr(Process()) == "Process()"
    assert len(Process.spec_table()) == sum(max(1, len(a.params)) for a in ACTIONS.values())


def test_action_defaults():
    a = Process.parse("image/watermark,text_SGk").actions[0]
    assert (a.value("g"), a.value("t"), a.value("size"), a.value("fill")) == ("se", 100, 40, 0)
    assert Process.parse("image/resize,w_1").actions[0].value("limit") == 1


def test_b64url_helpers():
    assert b64url_decode(b64url_encode("a/b+c?")) == b"a/b+c?"
    for bad in ("", "a", "ab=c", "a+b", "abc=="):
        with pytest.raises(ValueError):
            b64url_decode(bad)


# ---- round trip (Hypothesis) --------------------------------------------------------------
def opt(s):
    return st.none() | s


ints = st.integers
text_ok = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=21).filter(
    lambda t: len(t.encode()) <= 64)
keys = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="?"),
               min_size=1, max_size=30)
hexcol = st.from_regex(r"[0-9A-Fa-f]{6}", fullmatch=True)
grav = st.sampled_from(["nw", "north", "ne", "west", "center", "east", "sw", "south", "se"])


@st.composite
def resize_args(draw):
    kw = dict(m=draw(opt(st.sampled_from(["lfit", "mfit", "fill", "pad", "fixed"]))),
              w=draw(opt(ints(1, 16384))), h=draw(opt(ints(1, 16384))),
              l=draw(opt(ints(1, 16384))), s=draw(opt(ints(1, 16384))),
              limit=draw(opt(ints(0, 1))), color=draw(opt(hexcol)), p=draw(opt(ints(1, 1000))))
    if all(kw[k] is None for k in "whlsp"):
        kw["w"] = draw(ints(1, 16384))
    return kw


@st.composite
def steps(draw):
    kind = draw(st.sampled_from(["resize", "crop", "indexcrop", "circle", "rounded", "rotate",
                                 "orient", "blur", "bright", "contrast", "sharpen", "wm_text",
                                 "wm_image", "format", "quality", "interlace"]))
    if kind == "resize":
        return ("resize", draw(resize_args()))
    if kind == "crop":
        return ("crop", dict(w=draw(opt(ints(0, 30000))), h=draw(opt(ints(0, 30000))),
                             x=draw(opt(ints(0, 30000))), y=draw(opt(ints(0, 30000))),
                             g=draw(opt(grav))))
    if kind == "indexcrop":
        x, y = draw(opt(ints(1, 30000))), draw(opt(ints(1, 30000)))
        if x is None and y is None:
            x = 1
        return ("indexcrop", dict(x=x, y=y, i=draw(opt(ints(0, 30000)))))
    if kind == "circle":
        return ("circle", dict(r=draw(ints(1, 4096))))
    if kind == "rounded":
        return ("rounded_corners", dict(r=draw(ints(1, 4096))))
    if kind == "rotate":
        return ("rotate", dict(angle=draw(ints(0, 360))))
    if kind == "orient":
        return ("auto_orient", dict(on=draw(ints(0, 1))))
    if kind == "blur":
        return ("blur", dict(r=draw(ints(1, 50)), s=draw(ints(1, 50))))
    if kind in ("bright", "contrast"):
        return (kind, dict(value=draw(ints(-100, 100))))
    if kind == "sharpen":
        return ("sharpen", dict(value=draw(ints(50, 399))))
    common = dict(t=draw(opt(ints(0, 100))), g=draw(opt(grav)), x=draw(opt(ints(0, 4096))),
                  y=draw(opt(ints(0, 4096))), voffset=draw(opt(ints(-1000, 1000))))
    if kind == "wm_text":
        return ("watermark", dict(common, text=draw(text_ok), color=draw(opt(hexcol)),
                                  size=draw(opt(ints(1, 1000))), shadow=draw(opt(ints(0, 100))),
                                  rotate=draw(opt(ints(0, 360))), fill=draw(opt(ints(0, 1))),
                                  padx=draw(opt(ints(0, 4096))), pady=draw(opt(ints(0, 4096))),
                                  type=draw(opt(st.sampled_from(["wqy-zenhei", "fangzhengkaiti"])))))
    if kind == "wm_image":
        pre = draw(opt(st.sampled_from(["image/resize,P_30", "image/crop,w_10,h_10/rotate,90",
                                        "image/indexcrop,x_5,i_1/rounded-corners,r_3"])))
        return ("watermark", dict(common, image=draw(keys), image_process=pre,
                                  order=draw(opt(ints(0, 1))), align=draw(opt(ints(0, 2))),
                                  interval=draw(opt(ints(0, 1000)))))
    if kind == "format":
        return ("format", dict(fmt=draw(st.sampled_from(["jpg", "png", "webp", "bmp", "gif",
                                                         "tiff", "heic", "avif"]))))
    if kind == "quality":
        q, big_q = draw(opt(ints(1, 100))), draw(opt(ints(1, 100)))
        return ("quality", dict(q=q if (q or big_q) else 50, Q=big_q))
    return ("interlace", dict(on=draw(ints(0, 1))))


@st.composite
def processes(draw):
    which = draw(st.sampled_from(["chain", "chain", "chain", "info", "hue", "style"]))
    p = Process()
    if which == "info":
        p = p.info()
    elif which == "hue":
        p = p.average_hue()
    elif which == "style":
        p = p.style(draw(st.from_regex(r"[A-Za-z0-9_.\-]{1,64}", fullmatch=True)))
    else:
        chain = draw(st.lists(steps(), min_size=1, max_size=6).filter(
            lambda c: sum(1 for n, kw in c if n == "watermark" and "image" in kw) <= 3))
        for name, kw in chain:
            p = getattr(p, name)(**kw)
    if draw(st.booleans()):
        p = p.saveas(draw(keys), draw(opt(st.from_regex(r"[a-z0-9][a-z0-9\-]{1,20}[a-z0-9]",
                                                        fullmatch=True))))
    return p


@settings(max_examples=400, deadline=None)
@given(processes())
def test_round_trip_builder_str_parse(p):
    text = str(p)
    again = Process.parse(text)
    assert again == p
    assert str(again) == text
    assert Process.parse(str(again)) == again
