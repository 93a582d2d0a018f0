"""Diagnosis views point at the difference: whole tokens marked, the first differing step against the
server's echo, and a causes table that fits JupyterLab's output area at 1280 px with the file
browser open (≈ 900 px), checked in a real browser (Debian chromium through Playwright)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html import escape

import pytest

import imgx_kit as ik
from imgx_kit.core.diagnose.diagnosis import token_diff

from diagnose_scenarios import AT, CV, CV_CREDS, cv_req

CHROMIUM = "/usr/bin/chromium"


def _wrong_region() -> ik.Diagnosis:
    sent = CV.with_(region="cn-beijing").sign(cv_req(), CV_CREDS, at=AT).signed_request
    server = CV.sign(sent, CV_CREDS, at=AT)
    echo = (f"<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>{escape(server.canonical_request)}"
            f"</CanonicalRequest><StringToSign>{server.string_to_sign}</StringToSign></Error>")
    return ik.diagnose(sent, CV_CREDS, signer=CV, server_response=echo, now=AT)


def test_token_diff_marks_whole_tokens() -> None:
    a, b = token_diff("20250101/cn-beijing/cv/request", "20250101/cn-north-1/cv/request")
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", a) == ["cn-beijing"]
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", b) == ["cn-north-1"]
    a, _ = token_diff("/photos/my%2520cat.jpg", "/photos/my%20cat.jpg")
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", a) == ["my%2520cat.jpg"]


def test_first_differing_step_is_against_the_server_echo() -> None:
    d = _wrong_region()
    assert d.first_differing_step == "string_to_sign" and d.diff.line[0] == 3
    h = d._repr_html_()
    assert "the server</th>" in h and "<mark style='background:#fbb'>cn-beijing</mark>" in h
    assert "table-layout:fixed" in h


@pytest.mark.browser
def test_causes_table_fits_900px_output_area() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    d = _wrong_region()
    long = ik.Credentials("AKLTexample", "b3RoZXI=")
    wide = CV.sign(cv_req({"X-Long": "x" * 400}), long, at=AT).signed_request      # a 400-character value
    d2 = ik.diagnose(wide, CV_CREDS, signer=CV, now=AT)
    page_html = ("<html><body style='margin:0'><div id='area' style='width:900px;font:13px sans-serif'>"
                 f"{d._repr_html_()}{d2._repr_html_()}</div></body></html>")
    # in its own process: the session may already run Playwright's sync API (the browser tests do)
    out = subprocess.run([sys.executable, "-c", _MEASURE, CHROMIUM], input=page_html, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    widths, overflow = json.loads(out.stdout)
    assert widths and all(w <= 900 and sw <= 900 for w, sw in widths), widths
    assert overflow <= 900


_MEASURE = """
import json, re, sys
from playwright.sync_api import sync_playwright
html = sys.stdin.read()
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=sys.argv[1], headless=True, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.set_content(html)
    widths = page.evaluate("() => [...document.querySelectorAll('#area table.imgx-causes')]"
                           ".map(t => [t.getBoundingClientRect().width, t.scrollWidth])")
    overflow = page.evaluate("() => document.getElementById('area').scrollWidth")
    browser.close()
print(json.dumps([widths, overflow]))
"""
