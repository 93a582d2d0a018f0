"""The repository passes its tests with nothing beside it: no test, notebook, script or CI step reads a
folder outside the checkout, and every vendored vector suite carries its licence and provenance."""
from __future__ import annotations

import re

import pytest

from imgx_testing import ROOT, VECTORS

# built from pieces so that this file does not match itself
_OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "IMGX_" + "SHARED", r"parent.*['\"]" + "shared['\"]",
                                r"/work/" + "shared"]))
_SCANNED = ("tests", "notebooks", "imgx_kit", "benchmarks", ".ci", "binder")
_SUFFIXES = {".py", ".ipynb", ".cfg", ".txt", ".toml", ".sh", ".md", ".json", ""}


def _files():
    for top in _SCANNED:
        for p in sorted((ROOT / top).rglob("*")):
            if p.is_file() and p.suffix in _SUFFIXES and "vectors" not in p.relative_to(ROOT).parts[:3] \
                    and "node_modules" not in p.parts and p.name != "test_self_contained.py":
                yield p


def test_nothing_reads_outside_the_checkout():
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
            for p in _files() for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
            if _OUTSIDE.search(line)]
    assert not hits, "paths outside the repository:\n" + "\n".join(hits)


def test_the_scanner_sees_what_it_must_refuse(tmp_path):
    """The check above can fail: each forbidden spelling is caught."""
    for line in ['Path("../sha' + 'red/vectors")', 'os.environ["IMGX_' + 'SHARED"]',
                 'ROOT.parent / "sha' + 'red"']:
        assert _OUTSIDE.search(line), line
    assert not _OUTSIDE.search('VECTORS = Path(__file__).parent / "data" / "vectors"')


@pytest.mark.parametrize("suite", ["aws-sig-v4-test-suite", "aws-signing-test-suite-v4", "aliyun-oss", "volcengine"])
def test_each_vendored_suite_has_licence_and_provenance(suite):
    folder = VECTORS / suite
    assert (folder / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert (folder / "NOTICE").is_file()
    assert "Source" in (folder / "README.md").read_text() or "transcribed" in (folder / "README.md").read_text()
    assert suite in (VECTORS / "README.md").read_text()


def test_vendored_suites_are_complete():
    """The counts the suites' READMEs state: a partial copy would silently shrink the oracle tests."""
    assert len(list((VECTORS / "aws-sig-v4-test-suite").rglob("*.req"))) == 34
    assert len(list((VECTORS / "aws-signing-test-suite-v4").glob("*/context.json"))) == 38


def test_vendored_bytes_are_not_rewritten_by_git():
    assert "tests/data/vectors/** -text" in (ROOT / ".gitattributes").read_text()
    trim = (VECTORS / "aws-sig-v4-test-suite" / "get-header-value-trim" / "get-header-value-trim.req").read_bytes()
    assert b"\r" not in trim and b'My-Header2: "a   b   c"' in trim and not trim.endswith(b"\n")
