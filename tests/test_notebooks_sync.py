"""The Chinese notebooks (notebooks/zh) are the English ones in Chinese: same code, same checks, same tags;
prose in Chinese, with no English left outside code, identifiers and protocol field names.

Re-synchronise after changing an English notebook's code: ``python tests/notebook_editions.py sync``,
then re-execute the Chinese notebook (README, "Chinese edition").
"""
from __future__ import annotations

import json
import re
from importlib import resources

import notebook_editions as E
import pytest

PRESENT = [n for n in E.NOTEBOOKS if (E.ZH / f"{n}.ipynb").exists()]
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_tutorial_and_the_app_has_a_chinese_edition():
    assert list(E.NOTEBOOKS) == PRESENT, f"missing in notebooks/zh: {sorted(set(E.NOTEBOOKS) - set(PRESENT))}"


@pytest.fixture(params=PRESENT)
def pair(request):
    name = request.param
    return name, E.load(E.EN / f"{name}.ipynb"), E.load(E.ZH / f"{name}.ipynb")


def test_same_code_cells(pair):
    name, en, zh = pair
    a, b = E.code_cells(en), E.code_cells(zh)
    assert [c["id"] for c in a] == [c["id"] for c in b], f"{name}: code cells differ in number or order"
    for x, y in zip(a, b, strict=True):
        assert E.source(x) == E.source(y), f"{name}: code cell {x['id']} differs — run tests/notebook_editions.py sync"


def test_same_tags_and_test_metadata(pair):
    name, en, zh = pair
    cells_zh = [c for c in zh["cells"] if not E.is_setup_cell(c)]
    assert [(c["cell_type"], c["id"]) for c in en["cells"]] == [(c["cell_type"], c["id"]) for c in cells_zh], name
    for x, y in zip(en["cells"], cells_zh, strict=True):
        assert E.tags(x) == E.tags(y), f"{name}: tags of cell {x['id']}"
        assert x["metadata"].get("jupyter") == y["metadata"].get("jupyter"), \
            f"{name}: hidden/collapsed state of {x['id']}"


def test_same_exercise_checks(pair):
    """The cells that define and check the exercises (hashes of the right answers) are the English ones."""
    name, en, zh = pair
    def checks(nb):
        return [E.source(c) for c in E.code_cells(nb) if re.search(r"EXERCISES\s*=|check\(|solution_\d", E.source(c))]
    assert checks(en) == checks(zh), name
    if name != "app_inpaint":
        assert checks(zh), f"{name}: no exercise check found"


def test_language_cell_comes_first_and_only_once(pair):
    name, _, zh = pair
    first_code = next(c for c in zh["cells"] if c["cell_type"] == "code")
    assert E.is_setup_cell(first_code), f"{name}: the first code cell must call ik.set_language('zh')"
    assert 'ik.set_language("zh")' in E.source(first_code)
    assert sum(E.is_setup_cell(c) for c in zh["cells"]) == 1


def test_outputs_are_stored(pair):
    name, _, zh = pair
    code = E.code_cells(zh)
    assert all(c.get("execution_count") for c in code), f"{name}: execute it (outputs are checked by nbval)"


# ---- the prose ---------------------------------------------------------------------------------------------------
# names that are English by nature: products, protocols, tools (written as their owners write them)
ALLOWED = {
    "AWS Signature Version 4 Test Suite", "Apache License", "AccessKey ID", "Aliyun OSS", "AWS SigV4",
    "Signature Version", "Copy as cURL", "Amazon S3", "Volcengine SDK",
    "JupyterLab", "Jupyter Notebook", "Signature Lab", "Binder", "Voilà", "Dreamina", "ImageX",
    "HMAC-SHA256", "HMAC-SHA1", "OSS V1", "OSS V4", "V1", "V4", "Chrome DevTools", "Google Chrome",
    "Shift", "Enter", "Application", "Cookies", "Network", "Save all as HAR", "Copy", "Copy as fetch",
    "Content-Type", "Content-MD5", "Lumino", "NumPy", "Pillow", "ipycanvas", "ipywidgets",
    "alibabacloud-oss-v2", "oss2", "botocore", "requests", "aws4", "AWS", "OSS",
}
_CODE = re.compile(r"```.*?```|`[^`]*`|<code>.*?</code>|<kbd>.*?</kbd>|<[^>]+>|\]\([^)]*\)|https?://\S+", re.DOTALL)
_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’.-]*(?:[ \t]+[A-Za-z][A-Za-z0-9'’.-]*)+")


def english_runs(markdown: str) -> list[str]:
    """Runs of two or more English words outside code spans, links and tags, minus the allowed names.

        >>> english_runs("先计算 `canonical request`，再看 Aliyun OSS 的 string to sign。")
        ['string to sign']
    """
    text = _CODE.sub(" ", markdown)
    for name in sorted(ALLOWED, key=len, reverse=True):
        text = text.replace(name, " ")
    return [m.group(0) for m in _RUN.finditer(text)]


def test_english_runs_finds_prose_and_ignores_code():
    assert english_runs("先计算 `canonical request`，再看 Aliyun OSS 的 string to sign。") == ["string to sign"]
    assert english_runs("[`01_sign_step_by_step.ipynb`](01_sign_step_by_step.ipynb) 中的 <code>a b</code>") == []


def test_no_english_prose_in_the_chinese_edition(pair):
    name, _, zh = pair
    found = {c["id"]: runs for c in zh["cells"] if c["cell_type"] == "markdown"
             if (runs := english_runs(E.source(c)))}
    assert not found, f"{name}: English left in the Chinese prose: {found}"


def test_every_markdown_cell_is_chinese(pair):
    name, _, zh = pair
    for c in zh["cells"]:
        if c["cell_type"] == "markdown" and E.source(c).strip() not in ("---", ""):
            assert HAN.search(E.source(c)), f"{name}: markdown cell {c['id']} has no Chinese"


def test_chinese_prose_follows_the_glossary(pair):
    """The glossary of imgx_kit/data/i18n/zh.json is the one the library shows: the notebooks use its terms."""
    name, _, zh = pair
    glossary = json.loads(resources.files("imgx_kit").joinpath("data/i18n/zh.json").read_text("utf-8"))["glossary"]
    prose = "\n".join(E.source(c) for c in zh["cells"] if c["cell_type"] == "markdown")
    for g in glossary:
        for bad in g["avoid"]:
            assert bad not in prose.replace(g["zh"], ""), f"{name}: '{bad}' — the glossary says '{g['zh']}' ({g['en']})"
