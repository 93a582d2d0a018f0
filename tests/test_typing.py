"""A typed public API: the lazily imported public names are real types to mypy and pyright (not Any),
and each module's ``if TYPE_CHECKING:`` imports name exactly what its lazy table loads at run time."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:                                   # Python 3.10: the test extra installs tomli
    import tomli as tomllib
from imgx_testing import ROOT

PKG = ROOT / "imgx_kit"

# ---- the TYPE_CHECKING block and the lazy table are one list ------------------------------------------


def _type_checking_imports(path: Path) -> dict[str, str]:
    """name -> "module:attr" (attr empty for a module) for the imports under ``if TYPE_CHECKING:``."""
    module = path.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: dict[str, str] = {}
    for node in ast.parse(path.read_text()).body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            continue
        for imp in node.body:
            assert isinstance(imp, ast.ImportFrom), ast.dump(imp)
            base = package
            for _ in range(imp.level - 1):
                base = base.rpartition(".")[0]
            source = ".".join(p for p in (base, imp.module) if p)
            for alias in imp.names:
                assert alias.asname == alias.name, f"{path.name}: write `{alias.name} as {alias.name}` (a re-export)"
                sub = f"{source}.{alias.name}"
                is_module = importlib.util.find_spec(sub) is not None if _is_package(source) else False
                out[alias.name] = f"{sub}:" if is_module else f"{source}:{alias.name}"
    return out


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return bool(spec and spec.submodule_search_locations)


def test_top_level_type_checking_imports_are_the_lazy_table():
    import imgx_kit
    assert _type_checking_imports(PKG / "__init__.py") == imgx_kit._LAZY


def test_oss_type_checking_imports_are_the_lazy_table():
    from imgx_kit import oss
    assert _type_checking_imports(PKG / "oss.py") == {k: f"{v}:{k}" for k, v in oss._LAZY.items()}


def test_widgets_api_type_checking_imports_are_the_lazy_table():
    from imgx_kit.widgets import api
    assert _type_checking_imports(PKG / "widgets" / "api.py") == {k: f"{v}:{k}" for k, v in api._LAZY.items()}


@pytest.mark.parametrize("package", ["widgets", "emulator"])
def test_forwarding_packages_declare_every_name_of_their_api(package):
    api = importlib.import_module(f"imgx_kit.{package}.api")
    declared = _type_checking_imports(PKG / package / "__init__.py")
    assert sorted(declared) == sorted(api.__all__)
    assert set(declared.values()) == {f"imgx_kit.{package}.api:{n}" for n in api.__all__}


def test_every_public_name_is_importable_and_in_all():
    import imgx_kit as ik
    assert len(ik.__all__) == len(set(ik.__all__)), "a name is listed twice"
    for name in ik.__all__:
        assert getattr(ik, name) is not None, name
    for name in ik.oss.__all__:
        assert getattr(ik.oss, name) is not None, name


def test_the_wheel_marks_the_package_typed():
    assert (PKG / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data["imgx_kit"]


# ---- mypy and pyright see real types -------------------------------------------------------------------

SNIPPET = '''
from __future__ import annotations

from contextlib import AbstractContextManager

from typing_extensions import assert_type

import imgx_kit as ik
from imgx_kit.core.diagnose import Diagnosis
from imgx_kit.core.oss_process import Process
from imgx_kit.core.request import HttpRequest
from imgx_kit.core.scheme import Scheme
from imgx_kit.core.signer import Signer
from imgx_kit.core.trace import SigningTrace
from imgx_kit.emulator.api import Emulator
from imgx_kit.services.imagex import ImageXClient
from imgx_kit.services.visual import VisualClient
from imgx_kit.widgets.lab import SignatureLab
from imgx_kit.widgets.painter import MaskPainter

assert_type(ik.Signer, type[Signer])
assert_type(ik.AWS4, Scheme)
assert_type(ik.HttpRequest, type[HttpRequest])
req = ik.HttpRequest.build("GET", "https://example.amazonaws.com/")
assert_type(req, HttpRequest)
creds = ik.Credentials("AKIDEXAMPLE", "secret")
signer = ik.Signer(ik.AWS4, region="us-east-1", service="service")
assert_type(signer.sign(req, creds), SigningTrace)
assert_type(ik.presets.JIMENG_IMAGEX, Signer)
assert_type(ik.diagnose(req), Diagnosis)
assert_type(ik.capture.from_curl("curl https://example.com/"), HttpRequest)
assert_type(ik.oss.sign_url("bucket", "k.jpg", "https://oss-cn-hangzhou.aliyuncs.com", creds, 60), SigningTrace)
assert_type(ik.oss.Process.parse("image/resize,w_10"), Process)
cm: AbstractContextManager[Emulator] = ik.emulator.running()   # a decorated generator: pin what callers use
with ik.emulator.running() as emu:
    assert_type(emu, Emulator)
assert_type(ik.ImageXClient, type[ImageXClient])
assert_type(ik.VisualClient, type[VisualClient])
assert_type(ik.MaskPainter, type[MaskPainter])
assert_type(ik.widgets.MaskPainter, type[MaskPainter])
assert_type(ik.widgets.SignatureLab, type[SignatureLab])
err: ik.ImgxError = ik.MissingExtraError("m", extra="emulator", module="cv2")
assert_type(ik.MissingExtraError, type[ik.MissingExtraError])
'''
#: a name that is not public and an assert_type that is wrong: both checkers must reject them
BROKEN = '''
from typing_extensions import assert_type
import imgx_kit as ik
from imgx_kit.core.trace import SigningTrace
assert_type(ik.Signer, type[SigningTrace])
ik.NoSuchName
'''


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed: it is part of the test extra (pip install -e '.[test]')"
    return found


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "MYPY_FORCE_COLOR": "0", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """One mypy run and one pyright run over both snippets (each run analyses imgx_kit: ~10-30 s)."""
    d = tmp_path_factory.mktemp("typing")
    (d / "snippet.py").write_text(SNIPPET)
    (d / "broken.py").write_text(BROKEN)
    # follow_imports=silent: imgx_kit is analysed for the snippets' types; its own findings are the job
    # of the mypy run in .ci/run
    mypy = subprocess.run([_tool("mypy"), "--follow-imports=silent", "--strict", "--cache-dir", str(d / ".mypy"),
                           "--config-file", str(ROOT / "pyproject.toml"), "snippet.py", "broken.py"],
                          capture_output=True, text=True, timeout=600, cwd=d, env=_env())
    (d / "pyrightconfig.json").write_text(json.dumps({
        "extraPaths": [str(ROOT)], "pythonVersion": f"{sys.version_info.major}.{sys.version_info.minor}",
        "reportMissingModuleSource": False, "include": ["snippet.py", "broken.py"]}))
    r = subprocess.run([_tool("pyright"), "--outputjson", "--pythonpath", sys.executable, "-p", str(d)],
                       capture_output=True, text=True, timeout=600, cwd=d, env=_env())
    assert r.stdout.strip().startswith("{"), r.stdout + r.stderr
    return mypy.stdout + mypy.stderr, json.loads(r.stdout)


def _mypy_errors(out: str, file: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith(f"{file}:") and ": error:" in ln]


def _pyright_errors(report: dict, file: str) -> list[str]:
    return [f"{d['range']['start']['line'] + 1}: {d['message']}" for d in report["generalDiagnostics"]
            if d["severity"] == "error" and Path(d["file"]).name == file]


def test_mypy_sees_real_types_for_the_public_names(checked):
    out, _ = checked
    assert _mypy_errors(out, "snippet.py") == [], out
    assert "broken.py" in out, out                     # it did check both files


def test_mypy_rejects_a_wrong_type_and_an_unknown_name(checked):
    out, _ = checked
    errors = "\n".join(_mypy_errors(out, "broken.py"))
    assert re.search(r"broken.py:5: error: Expression is of type .*Signer", errors), out
    assert re.search(r'broken.py:6: error: Module has no attribute "NoSuchName"', errors), out


def test_pyright_sees_real_types_for_the_public_names(checked):
    _, report = checked
    assert _pyright_errors(report, "snippet.py") == [] and report["summary"]["filesAnalyzed"] == 2, report


def test_pyright_rejects_a_wrong_type_and_an_unknown_name(checked):
    _, report = checked
    errors = _pyright_errors(report, "broken.py")
    assert any(e.startswith("5: ") and "assert_type" in e for e in errors), errors
    assert any(e.startswith("6: ") and "NoSuchName" in e for e in errors), errors
