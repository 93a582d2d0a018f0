"""ik.set_language("zh"): the library's own words in Chinese, English by default, and back.

The Chinese terms are those of the vendors' Chinese signing pages (cited in the catalogue's header):
Volcengine 签名方法 and Aliyun OSS 在Header中包含V4签名 both say 规范请求 and 待签名字符串.
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import imgx_kit as ik
from imgx_kit.core import i18n
from imgx_kit.core.diagnose import CATALOGUE
from imgx_kit.core.trace import _EXPLAIN

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2025, 1, 1, 8, 0, tzinfo=timezone.utc)
CREDS = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
CV_URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _request() -> ik.HttpRequest:
    return ik.HttpRequest.build("POST", CV_URL, headers=[("Content-Type", "application/json")], body="{}")


def _wrong_region_diagnosis() -> ik.Diagnosis:
    sent = ik.Signer(ik.VOLC, region="cn-beijing", service="cv").sign(_request(), CREDS, at=AT).signed_request
    return ik.diagnose(sent, CREDS, signer=ik.presets.VOLC_CV, now=AT)


def test_english_is_the_default_and_nothing_changes_in_english():
    assert ik.get_language() == "en" and ik.tr is i18n.tr and ik.set_language is i18n.set_language
    text = _EXPLAIN["signed_headers"]
    assert i18n.tr(text) is text
    markup = "<div>ours <code>ours</code></div>"
    assert i18n.tr_html(markup) is markup
    assert i18n.term("canonical_request") is None


def test_trace_view_explanations_and_step_labels_switch_to_chinese_and_back():
    trace = ik.presets.VOLC_CV.sign(_request(), CREDS, at=AT)
    english = trace._repr_html_()
    assert "The signed header names, lower case, sorted" in english and not HAN.search(english)
    assert ik.set_language("zh") == "zh"
    chinese = trace._repr_html_()
    assert "已签名的头的名称" in chinese and "规范请求" in chinese and "待签名字符串" in chinese
    assert "The signed header names" not in chinese
    # values are never translated: every <code> run is byte-identical
    code = re.compile(r"<code[^>]*>.*?</code>", re.DOTALL)
    assert code.findall(chinese) == code.findall(english)
    assert "<b>canonical_request</b>" in chinese             # the identifier stays, the Chinese name is added
    ik.set_language("en")
    assert trace._repr_html_() == english


def test_diff_labels_in_chinese():
    a = ik.presets.VOLC_CV.sign(_request(), CREDS, at=AT)
    b = ik.Signer(ik.VOLC, region="cn-beijing", service="cv").sign(_request(), CREDS, at=AT)
    with i18n.language("zh"):
        view = a.diff(b)._repr_html_()
        same = a.diff(a)._repr_html_()
    assert "第一个不同的步骤" in view and "我方" in view and "对方" in view and "first differing" not in view
    assert "个步骤完全一致" in same
    assert "first differing step" in a.diff(b)._repr_html_()


def test_diagnosis_titles_evidence_fixes_in_chinese_and_back():
    english = _wrong_region_diagnosis()
    top = english.causes[0]
    assert top.id == "wrong-region" and top.title == CATALOGUE["wrong-region"].title
    with i18n.language("zh"):
        chinese = _wrong_region_diagnosis()
        html_view = chinese._repr_html_()
    zh_top = chinese.causes[0]
    assert zh_top.id == "wrong-region" and zh_top.confidence == top.confidence        # ids and ranks never change
    assert zh_top.title == "请求是按另一个地域签名的"
    assert zh_top.evidence.startswith("凭证范围中的地域是 'cn-beijing'") and "'cn-north-1'" in zh_top.evidence
    assert HAN.search(zh_top.fix) and "cn-north-1" in zh_top.fix
    assert "可能的原因" in html_view and "证据" in html_view and "Causes" not in html_view
    assert chinese.cause_ids() == english.cause_ids()
    assert _wrong_region_diagnosis().causes[0].title == top.title                    # back in English


def test_painter_tooltips_in_chinese_and_back():
    from imgx_kit.widgets.painter import MaskPainter
    image = np.zeros((40, 60, 3), np.uint8)
    with i18n.language("zh"):
        p = MaskPainter(image)
    assert p.tool_toggle.tooltips[0] == "绘制蒙版 (b)"
    assert p.buttons["undo"].tooltip == "撤销 (ctrl-z)" and p.buttons["undo"].description == "撤销"
    assert p.tool_toggle.value == "brush"                 # values are identifiers, only labels change
    p.tool_toggle.value = "eraser"
    assert p.tool == "eraser"
    q = MaskPainter(image)
    assert q.tool_toggle.tooltips[0] == "paint the mask (b)" and q.buttons["undo"].tooltip == "undo (ctrl-z)"


def test_error_hint_in_chinese_at_display_time():
    with pytest.raises(ik.CredentialsError) as info:
        ik.Credentials("AKIDEXAMPLE", "secret\n")
    e = info.value
    english = str(e)
    assert "strip the value you copied" in english
    with i18n.language("zh"):
        chinese = str(e)
    assert "去掉复制来的值首尾的空白" in chinese and chinese.startswith(e.message)
    assert str(e) == english and e.hint is not None and e.hint.startswith("strip")


def test_language_does_not_leak_between_tests_part_1():
    ik.set_language("zh")                 # left set on purpose: the autouse fixture must restore English


def test_language_does_not_leak_between_tests_part_2():
    assert ik.get_language() == "en"
    assert ik.presets.VOLC_CV.sign(_request(), CREDS, at=AT)._repr_html_().count("已签名的头") == 0


@pytest.mark.parametrize("tag, lang", [("zh", "zh"), ("zh-CN", "zh"), ("zh_TW.UTF-8", "zh"), ("zh-Hans", "zh"),
                                       ("en", "en"), ("en_GB.UTF-8", "en"), ("EN", "en")])
def test_language_tags(tag, lang):
    assert ik.set_language(tag) == lang == ik.get_language()


@pytest.mark.parametrize("bad", ["fr", "", "klingon", 3, None])
def test_unknown_language_is_a_typed_error_naming_the_choices(bad):
    with pytest.raises(i18n.LanguageError) as info:
        ik.set_language(bad)                          # type: ignore[arg-type]
    assert isinstance(info.value, ik.ImgxError)
    assert ik.get_language() == "en"


def test_auto_follows_the_locale(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert ik.set_language("auto") == "zh"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert ik.set_language("auto") == "en"


def test_environment_variable_sets_the_initial_language():
    code = "import imgx_kit as ik; print(ik.get_language())"
    env = {**os.environ, "IMGX_LANG": "zh-CN", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert out.stdout.strip() == "zh", out.stderr
    env["IMGX_LANG"] = "xx"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert out.stdout.strip() == "en", out.stderr


def test_tr_html_leaves_code_and_markup_alone_and_escapes():
    with i18n.language("zh"):
        out = i18n.tr_html("<div title='ours'><b>ours</b> <pre>ours\ntheirs</pre><code>theirs</code> a &lt; b</div>")
    assert out == "<div title='ours'><b>我方</b> <pre>ours\ntheirs</pre><code>theirs</code> a &lt; b</div>"


# ---- the catalogue -----------------------------------------------------------------------------------------------
def _raw() -> dict:
    return json.loads(resources.files("imgx_kit").joinpath("data/i18n/zh.json").read_text("utf-8"))


def test_catalogue_is_package_data_and_covers_every_cause_and_step():
    cat = i18n.catalogue("zh")
    for info in CATALOGUE.values():
        assert HAN.search(cat.messages[info.title]), info.id
        assert HAN.search(cat.messages[info.fix]), info.id
    for text in _EXPLAIN.values():
        assert HAN.search(cat.messages[text]), text
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"data/i18n/*.json"' in pyproject


def test_catalogue_templates_keep_every_slot():
    for key, target in _raw()["templates"].items():
        assert sorted(re.findall(r"\{\d+\}", key)) == sorted(re.findall(r"\{\d+\}", target)), key


def test_catalogue_keeps_identifiers_that_must_not_be_translated():
    """Protocol field names, algorithm names and code quoted in an English message appear unchanged in Chinese."""
    keep = re.compile(r"SignedHeaders|AdditionalHeaders|UNSIGNED-PAYLOAD|HMAC-SHA\d+|x-oss-[a-z-]+|X-[A-Za-z-]+|"
                      r"aws4_request|aliyun_v4_request|cn-[a-z]+-?\d?|%2[BF]|%3D|%20|RFC \d+")
    for en, zh in _raw()["messages"].items():
        for ident in keep.findall(en):
            assert ident in zh, (ident, en, zh)


def test_glossary_terms_are_the_vendors_and_avoided_terms_are_not_used():
    glossary = {g["en"]: g for g in _raw()["glossary"]}
    assert glossary["canonical request"]["zh"] == "规范请求"          # Volcengine 签名方法; Aliyun OSS V4
    assert glossary["string to sign"]["zh"] == "待签名字符串"          # Volcengine 签名方法; Aliyun OSS V4
    assert glossary["credential scope"]["zh"] == "凭证范围"
    texts = list(_raw()["messages"].values()) + list(_raw()["templates"].values())
    for g in glossary.values():
        for bad in g["avoid"]:
            hits = [t for t in texts if bad in t.replace(g["zh"], "")]
            assert not hits, (bad, hits[:2])


def test_templates_fill_their_slots_and_joined_hints_are_translated_clause_by_clause():
    with i18n.language("zh"):
        assert i18n.tr("the timestamp is -1200 s from now (the window is ±900 s)") == \
            "时间戳与当前时间相差 -1200 秒（允许范围为 ±900 秒）"
        assert (i18n.tr("did you mean 'rotate'; allowed: an integer 0..360")
                == "是不是想写 'rotate'；允许的取值：0 到 360 之间的整数")
        # a '; ' inside a quoted value does not split the text
        sent = ("the signature matches content-type without its parameters (sent: 'application/json; charset=utf-8'): "
                "the header was changed after signing (exact: HMAC match)")
        assert "'application/json; charset=utf-8'" in i18n.tr(sent) and HAN.search(i18n.tr(sent))
        assert i18n.tr("no translation for this one") == "no translation for this one"
        assert i18n.tr("Done: 3 pixels repainted, 9 masked (1 call, request id r-1).") == \
            "完成：重绘了 3 个像素，蒙版共 9 个像素（1 次调用，请求 ID r-1）。"
        try:
            ik.oss.Process.parse("image/rotate,400")
        except ik.ProcessSyntaxError as e:
            assert "允许的取值：0 到 360 之间的整数" in str(e)


def _english_text_nodes(markup: str) -> list[str]:
    """Text of an HTML view, outside code/pre/b (values and identifiers), holding two English words in a row."""
    found, verbatim = [], 0
    for piece in re.split(r"(<[^>]*>)", markup):
        if piece.startswith("<"):
            m = re.match(r"<\s*(/?)\s*([a-zA-Z0-9]+)", piece)
            if m and m.group(2).lower() in ("code", "pre", "b"):
                verbatim += -1 if m.group(1) else 1
        elif not verbatim:
            text = re.sub(r"[\w.-]*[_(=/'][^\s]*|HMAC-SHA\d+|Authorization|AccessKey|Content-\w+|OSS\d?", " ",
                          html.unescape(piece))
            if re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", text):
                found.append(piece.strip())
    return found


def test_every_view_the_tutorials_show_has_no_english_words_left_in_chinese():
    """Guards the catalogue against drift: an English label reworded in the code shows up here."""
    bucket, key = "examplebucket", "photos/cat.jpg"
    oss_req = ik.HttpRequest.build("GET", f"https://{bucket}.oss-cn-hangzhou.aliyuncs.com/{key}")
    a = ik.presets.VOLC_CV.sign(_request(), CREDS, at=AT)
    b = ik.Signer(ik.VOLC, region="cn-beijing", service="cv").sign(_request(), CREDS, at=AT)
    with i18n.language("zh"):
        views = [a, a.diff(b), a.diff(a), _wrong_region_diagnosis(),
                 ik.Signer(ik.AWS4, region="us-east-1", service="s3").sign(_request(), CREDS, at=AT),
                 ik.Signer(ik.AWS4, region="us-east-1", service="s3").presign(_request(), CREDS, expires=60, at=AT),
                 ik.presets.VOLC_CV.presign(_request(), CREDS, expires=60, at=AT),
                 ik.presets.VOLC_CV.sign(_request().with_header("X-Content-Sha256", "e3b0"), CREDS, at=AT)]
        for version in (1, 4):
            views.append(ik.oss.sign(oss_req, CREDS, bucket, key, version=version, region="cn-hangzhou", at=AT))
            views.append(ik.oss.sign_url(bucket, key, "https://oss-cn-hangzhou.aliyuncs.com", CREDS, expires=60,
                                         version=version, region="cn-hangzhou", at=AT))
        left = {type(v).__name__: n for v in views if (n := _english_text_nodes(v._repr_html_()))}
    assert not left, left


def test_every_catalogue_message_is_still_said_by_the_code():
    """A message the code no longer says is a stale translation: the English it keys on must exist (as a string
    literal of imgx_kit, or of the Voilà app's code), apart from the few texts the code composes."""
    import ast
    said: list[str] = []
    for path in (ROOT / "imgx_kit").rglob("*.py"):
        said += [n.value for n in ast.walk(ast.parse(path.read_text("utf-8")))
                 if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    app = json.loads((ROOT / "notebooks" / "app_inpaint.ipynb").read_text("utf-8"))
    said += ["".join(c["source"]) for c in app["cells"] if c["cell_type"] == "code"]
    blob = "\n".join(said)
    # f-strings and .upper()
    composed = {"· Authorization header", "· presigned URL", "MISMATCH", "VALID", "CANNOT-CHECK",
                "self-consistency: the client signed exactly what was sent, as it declares",
                "choose one of en, zh (or 'auto' to follow the locale)"}
    stale = [k for k in _raw()["messages"] if k not in composed and k not in blob]
    assert not stale, stale


def test_signature_lab_fields_and_fault_buttons_in_chinese():
    from imgx_kit.widgets.lab import SignatureLab
    with i18n.language("zh"):
        lab = SignatureLab()
        html_view = lab.w_trace.value
    assert lab.w_region.description == "地域" and lab.w_method.description == "方法"
    def widgets_of(w):
        yield w
        for c in getattr(w, "children", ()):
            yield from widgets_of(c)
    labels = {w.description for w in widgets_of(lab) if type(w).__name__ == "Button"}
    assert "密钥末尾加换行" in labels and "secret + newline" not in labels
    assert "已签名的头" in html_view
    assert SignatureLab().w_region.description == "region"


def test_call_timeline_and_records_in_chinese():
    with ik.emulator.running(seed=0) as emu:
        up = ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints).upload(
            ROOT / "notebooks" / "images" / "logo.png")
        english = up.calls._repr_html_()
        with i18n.language("zh"):
            chinese = up.calls._repr_html_()
    assert "each call in full" in english and not HAN.search(english)
    assert "每次调用的完整内容" in chinese and "时间线：4 次调用" in chinese and "签名过程" in chinese
    assert not _english_text_nodes(chinese), _english_text_nodes(chinese)[:3]


def test_oss_process_view_explains_every_parameter_in_chinese():
    from imgx_kit.core.oss_process import ACTIONS
    meanings = [m for a in ACTIONS.values() for m in [a.meaning, *(p.meaning for p in a.params)]]
    process = ik.oss.Process().resize(w=100, l=50).format("png").quality(q=80).format("webp")
    with i18n.language("zh"):
        assert [m for m in meanings if i18n.tr(m) == m] == []
        view = process._repr_html_()
    assert "目标宽度，像素" in view and "同类设置以最后一个为准" in view and not _english_text_nodes(view)
    assert "target width, px" in process._repr_html_()


def test_translation_work_is_bounded_for_hostile_text():
    import time
    hostile = "the signature matches " + " is " * 30000 + " but the body sent (" * 2000
    with i18n.language("zh"):
        start = time.perf_counter()
        out = i18n.tr(hostile)
        i18n.tr_html("<div>" + hostile + "</div>")
        elapsed = time.perf_counter() - start
    assert out == hostile and elapsed < 1.0
