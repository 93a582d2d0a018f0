"""The emulator's structure (#14 §6): services answer from a Runtime, not the Emulator; no import
cycle; each emulator has its own seeded id generator; per service a backend (no HTTP) and a
responses class (one method per Action); error envelopes built in one place; declarations read
only through core.declared (#16 §4)."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import imgx_kit.emulator as emulator_pkg
from imgx_kit.emulator import routing
from imgx_kit.emulator.api import running
from imgx_kit.emulator.responses import BaseResponse
from imgx_kit.emulator.runtime import Runtime


def test_services_import_without_the_api_module():
    code = ("import sys\n"
            "import imgx_kit.emulator.imagex, imgx_kit.emulator.visual, imgx_kit.emulator.upload\n"
            "import imgx_kit.emulator.jimeng, imgx_kit.emulator.wsgi, imgx_kit.emulator.routing\n"
            "print('imgx_kit.emulator.api' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def _ids(emu) -> list[str]:
    return [requests.get(emu.endpoints.imagex + "/?Action=Nope&Version=1", timeout=5)
            .json()["ResponseMetadata"]["RequestId"][14:] for _ in range(3)]


def test_request_ids_are_per_emulator_and_reproducible():
    with running(seed=7) as a, running(seed=7) as b, running(seed=8) as c:
        assert isinstance(a.runtime, Runtime)
        ia = [_ids(a)[0], _ids(c)[0], _ids(a)[0]]          # interleaved with another emulator
        ib = [_ids(b)[0], _ids(b)[0]]
        assert ia[0] == ib[0] and ia[2] == ib[1] and ia[1] != ia[0]     # c drew nothing from a


# ---- the moto-like layout (#14 §6): backend + responses per service, one error place ---------
_ROOT = Path(emulator_pkg.__file__).parent
_SERVICES = ("imagex", "jimeng", "upload", "visual")
_ENVELOPE_BUILDERS = {"gateway_error", "gateway_response", "cv_error", "upload_error", "oss_error"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(_ROOT.parent.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_graph() -> dict[str, set[str]]:
    """Module-level imports between the emulator's modules (function-level ones are deferred)."""
    graph: dict[str, set[str]] = {}
    for path in _ROOT.rglob("*.py"):
        name = _module_name(path)
        pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom):
                base = pkg
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                mod = (base + ("." + node.module if node.module else "")) if node.level else (node.module or "")
                for alias in node.names:
                    sub = f"{mod}.{alias.name}"
                    edges.add(sub if (_ROOT.parent.parent / (sub.replace(".", "/") + ".py")).exists()
                              or (_ROOT.parent.parent / sub.replace(".", "/")).is_dir() else mod)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names)
        graph[name] = {e for e in edges if e.startswith("imgx_kit.emulator") and e != name}
    return graph


def test_no_import_cycle_among_emulator_modules():
    graph = _import_graph()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):          # a package importing its own submodule
                continue
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack, node, nxt]))
            if nxt not in state:
                visit(nxt, [*stack, node])
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [])


@pytest.mark.parametrize("service", [*_SERVICES, "oss"])
def test_each_service_has_a_backend_without_http_and_a_responses_module(service):
    backend = importlib.import_module(f"imgx_kit.emulator.{service}.backend")
    importlib.import_module(f"imgx_kit.emulator.{service}.responses")
    tree = ast.parse(Path(backend.__file__).read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    http = {m for m in imported if m.split(".")[0] in ("werkzeug", "requests", "urllib3", "cheroot")
            or m.endswith(("context", "wsgi", "server", "envelopes"))}
    assert not http, f"{service}.backend imports HTTP-level modules {http}"


def _response_class(service: str) -> type[BaseResponse]:
    mod = importlib.import_module(f"imgx_kit.emulator.{service}.responses")
    classes = [c for c in vars(mod).values() if isinstance(c, type) and issubclass(c, BaseResponse)
               and c is not BaseResponse]
    assert len(classes) == 1, classes
    return classes[0]


@pytest.mark.parametrize("service", _SERVICES)
def test_responses_have_one_method_per_action(service):
    cls = _response_class(service)
    assert cls.ACTIONS, f"{cls.__name__} names no actions"
    methods = list(cls.ACTIONS.values())
    assert len(set(methods)) == len(methods), "two actions share a method"
    for action, method in cls.ACTIONS.items():
        assert method in vars(cls) and callable(vars(cls)[method]), f"{cls.__name__} has no {method} for {action}"
    if service == "imagex":
        assert set(cls.ACTIONS) == routing.IMAGEX_ACTIONS
    if service == "visual":
        from imgx_kit.emulator.visual.responses import REQ_KEYS
        assert set(cls.ACTIONS) == set(REQ_KEYS) and set(cls.ACTIONS) <= routing.VISUAL_ACTIONS


def _calls(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            out.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return out


@pytest.mark.parametrize("service", _SERVICES)
def test_no_handler_builds_an_error_envelope_by_hand(service):
    """Only ``error_response`` turns an error into the wire answer; the handlers raise."""
    for name in ("responses", "backend"):
        path = _ROOT / service / f"{name}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name != "error_response":
                built = _calls(fn) & _ENVELOPE_BUILDERS
                assert not built, f"{path.name}:{fn.lineno} {fn.name} builds an error envelope ({built})"
                for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                    if isinstance(call.func, ast.Name) and call.func.id == "jimeng_ret":
                        first = call.args[0] if call.args else None
                        assert isinstance(first, ast.Constant) and first.value == "0", \
                            f"{path.name}:{fn.lineno} {fn.name} builds a Jimeng error by hand"


def test_gateway_envelope_is_built_in_one_place():
    tree = ast.parse((_ROOT / "auth.py").read_text(encoding="utf-8"))
    builders = [fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                and "gateway_error" in _calls(fn)]
    assert builders == ["gateway_response"]


def test_the_emulator_reads_declarations_only_through_core_declared():
    """No scheme or Authorization sniffing of its own outside OSS: core.declared is the parser."""
    sniff = ("startswith(\"AWS4", "startswith(\"HMAC", "startswith((\"AWS4", "Credential=")
    for path in [*_ROOT.glob("*.py"), *(p for s in _SERVICES for p in (_ROOT / s).glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        code = "\n".join(line for line in text.splitlines() if ">>>" not in line)
        for pattern in sniff:
            assert pattern not in code, f"{path.name} sniffs {pattern!r}"
        if "parse_authorization(" in code:
            assert "from ..core.declared import" in text, f"{path.name} parses Authorization outside core.declared"


def test_what_each_service_stores_is_its_own_models_module():
    from imgx_kit.emulator import state
    assert state.StsGrant.__module__ == "imgx_kit.emulator.jimeng.models"
    assert {state.UploadSlot.__module__, state.UploadSession.__module__} == {"imgx_kit.emulator.imagex.models"}
    assert state.Bucket.__module__ == "imgx_kit.emulator.oss.models"
