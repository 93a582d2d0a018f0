"""A lean core and honest extras: the core imports without any extra, a missing extra is a
MissingExtraError naming its ``pip install``, and pyproject.toml lists what the code imports."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from importlib.metadata import packages_distributions

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:                                   # Python 3.10: the test extra installs tomli
    import tomli as tomllib

import imgx_kit as ik
from imgx_kit.core import extras

from imgx_testing import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
OPTIONAL = PYPROJECT["project"]["optional-dependencies"]
#: modules imported by imgx_kit that come with a core dependency rather than being one
TRANSITIVE = {"urllib3": "requests"}


def _dist(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _dists(reqs: list[str]) -> set[str]:
    return {_dist(r) for r in reqs}


def _module_dists(module: str) -> set[str]:
    """The distributions providing ``module`` here (its own name when it is not installed in this venv)."""
    found = packages_distributions().get(module) or [module]
    return {d.lower().replace("_", "-") for d in found}


def _blocked(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing any of ``modules`` fails, as when not installed."""
    prelude = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


ALL_EXTRA_MODULES = sorted({m for mods in extras.EXTRAS.values() for m in mods} | {"pillow_heif"})


# ---- the core works with no extra at all --------------------------------------------------------------
def test_core_clients_and_widgets_import_without_any_extra():
    r = _blocked(ALL_EXTRA_MODULES, """
        from datetime import datetime, timezone
        import imgx_kit as ik
        names = [ik.Signer, ik.diagnose, ik.capture.from_curl, ik.oss.sign_url, ik.oss.Process, ik.oss.apply,
                 ik.oss.Client, ik.ImageXClient, ik.VisualClient, ik.RetryPolicy, ik.widgets.SignatureLab,
                 ik.MaskPainter, ik.presets]
        req = ik.HttpRequest.build("GET", "https://example.amazonaws.com/")
        t = ik.Signer(ik.AWS4, region="us-east-1", service="service").sign(
            req, ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            at=datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc))
        assert t.signature.startswith("5fa00fa3"), t.signature
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in MODULES and sys.modules[m] is not None)
        assert not loaded, loaded
        print("ok")
    """.replace("MODULES", repr(ALL_EXTRA_MODULES)))
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.parametrize("module", ["werkzeug", "cv2", "trustme"])
def test_the_emulator_without_its_extra_is_a_typed_error(module):
    r = _blocked([module], """
        import imgx_kit as ik
        for get in (lambda: ik.emulator.running, lambda: __import__("imgx_kit.emulator.server")):
            try:
                get()
            except ik.MissingExtraError as e:
                assert isinstance(e, ImportError) and e.extra == "emulator", e
                print(e)
            else:
                raise SystemExit("no error")
    """)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(f"needs {module}" in ln and 'pip install "imgx-kit[emulator]"' in ln
                                   for ln in lines), r.stdout
    assert "Traceback" not in r.stderr and "ModuleNotFoundError" not in r.stdout + r.stderr


def test_mask_dilate_without_opencv_names_the_extra_and_plain_masks_still_work():
    r = _blocked(["cv2"], """
        import numpy as np
        import imgx_kit as ik
        from imgx_kit.services.masks import export_mask
        m = np.zeros((8, 8), bool); m[2:5, 2:5] = True
        assert export_mask(m).max() == 255                    # no option: no OpenCV needed
        try:
            export_mask(m, dilate=2)
        except ik.MissingExtraError as e:
            print(e)
    """)
    assert r.returncode == 0, r.stderr
    assert 'dilate' in r.stdout and 'pip install "imgx-kit[emulator]"' in r.stdout, r.stdout


def test_a_module_missing_behind_the_emulator_package_is_still_named(monkeypatch):
    """The second net: a third-party module imported by an emulator module (not in EXTRAS) is reported
    with the extra too, while a missing imgx_kit module stays the programming error it is."""
    from imgx_kit import emulator

    def fail(name, *a, **k):
        raise ModuleNotFoundError("No module named 'cheroot'", name="cheroot")
    monkeypatch.setattr(emulator.importlib, "import_module", fail)
    with pytest.raises(ik.MissingExtraError, match=r'cheroot.*imgx-kit\[emulator\]'):
        emulator.__getattr__("running")

    def fail_ours(name, *a, **k):
        raise ModuleNotFoundError("No module named 'imgx_kit.emulator.api'", name="imgx_kit.emulator.api")
    monkeypatch.setattr(emulator.importlib, "import_module", fail_ours)
    with pytest.raises(ModuleNotFoundError) as e:
        emulator.__getattr__("running")
    assert not isinstance(e.value, ik.MissingExtraError)


def test_require_and_ensure(monkeypatch):
    monkeypatch.setitem(sys.modules, "werkzeug", None)
    with pytest.raises(ik.MissingExtraError) as e:
        extras.require("emulator", "werkzeug", what="the emulator")
    assert (e.value.extra, e.value.module, e.value.name) == ("emulator", "werkzeug", "werkzeug")
    assert str(e.value) == 'the emulator needs werkzeug, which is not installed — pip install "imgx-kit[emulator]"'
    assert extras.missing("json", "werkzeug") == ["werkzeug"]
    with pytest.raises(ValueError, match="unknown extra"):
        extras.require("nosuch", "json")
    assert extras.require("heic", "json") is __import__("json")


# ---- pyproject.toml says what the code imports ---------------------------------------------------------
def test_extras_are_the_four_of_the_design():
    assert set(OPTIONAL) == {"emulator", "lab", "heic", "test"}
    assert "imgx-kit[emulator]" in OPTIONAL["lab"]
    assert any(_dist(r) == "imgx-kit" and "lab" in r and "heic" in r for r in OPTIONAL["test"])
    assert "notebook" in _dists(OPTIONAL["lab"])


@pytest.mark.parametrize("extra", sorted(extras.EXTRAS))
def test_each_module_of_an_extra_is_a_requirement_of_that_extra(extra):
    declared = _dists(OPTIONAL[extra])
    for module in extras.EXTRAS[extra]:
        assert _module_dists(module) & declared, f"{module} ({_module_dists(module)}) not in [{extra}] {declared}"


def test_the_core_requires_no_jupyter_server_opencv_or_server_stack():
    core = _dists(PYPROJECT["project"]["dependencies"])
    banned = {"jupyterlab", "notebook", "voila", "jupyter-server", "opencv-python-headless", "opencv-python",
              "werkzeug", "cheroot", "trustme", "pillow-heif"}
    assert not core & banned


def _module_level_imports(package: str) -> dict[str, set[str]]:
    """Third-party top-level modules imported at module level (not inside functions) in ``package``."""
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "imgx_kit" / package).rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.If):                          # `if TYPE_CHECKING:` blocks import nothing
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "imgx_kit":
                    out.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return out


@pytest.mark.parametrize("package", ["core", "services", "widgets", "emulator"])
def test_module_level_imports_are_core_dependencies_or_the_packages_extra(package):
    core = _dists(PYPROJECT["project"]["dependencies"])
    allowed = set(core)
    if package == "emulator":
        allowed |= _dists(OPTIONAL["emulator"])
    for module, files in _module_level_imports(package).items():
        via = TRANSITIVE.get(module)
        assert (via in core) if via else (_module_dists(module) & allowed), \
            f"{module} imported at module level by {sorted(files)} but not a dependency of {package}"


def test_the_emulator_checks_every_module_it_imports_that_the_core_lacks():
    """extras.EXTRAS["emulator"] is what `import imgx_kit.emulator` checks up front: every third-party module
    an emulator module imports at module level and the core install lacks must be in it (a server stack
    added to the emulator goes into pyproject's extra *and* this tuple)."""
    core = _dists(PYPROJECT["project"]["dependencies"])
    needed = {m for m in _module_level_imports("emulator")
              if not (TRANSITIVE.get(m) in core or _module_dists(m) & core)}
    assert needed <= set(extras.EXTRAS["emulator"]), needed - set(extras.EXTRAS["emulator"])
