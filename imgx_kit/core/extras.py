"""Optional extras: a missing one is a :class:`~imgx_kit.MissingExtraError` naming the ``pip install``.

``pip install imgx-kit`` is the signer, ``diagnose``, the clients and the widgets. The rest is opt-in
(``pyproject.toml`` ``[project.optional-dependencies]``): ``emulator`` (the HTTP server stack, OpenCV,
trustme), ``heic`` (pillow-heif), ``lab`` (JupyterLab, Notebook, Voilà and the emulator).

    >>> import math
    >>> require("heic", "math") is math
    True
    >>> require("emulator", "no_such_module_imgx")
    Traceback (most recent call last):
    ...
    imgx_kit.core.errors.MissingExtraError: no_such_module_imgx is not installed — pip install "imgx-kit[emulator]"
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from .errors import MissingExtraError

__all__ = ["EXTRAS", "ensure", "install_hint", "missing", "missing_extra", "require"]

#: extra -> the modules it provides that imgx-kit imports (each is a requirement of that extra in
#: pyproject.toml; tests/test_extras.py keeps the two in step)
EXTRAS: dict[str, tuple[str, ...]] = {
    "emulator": ("werkzeug", "cheroot", "cv2", "trustme", "defusedxml"),
    "heic": ("pillow_heif",),
    "lab": ("jupyterlab", "notebook", "voila"),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``.

    >>> install_hint("emulator")
    'pip install "imgx-kit[emulator]"'
    """
    return f'pip install "imgx-kit[{extra}]"'


def missing(*modules: str) -> list[str]:
    """The top-level ``modules`` that cannot be imported, without importing any of them.

    >>> missing("json", "no_such_module_imgx")
    ['no_such_module_imgx']
    """
    out = []
    for name in modules:
        if name in sys.modules:                # None there means "blocked" (how tests hide a module)
            if sys.modules[name] is None:
                out.append(name)
            continue
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(name)
    return out


def require(extra: str, module: str, *, what: str | None = None) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming ``extra`` and its ``pip install``.

    ``what`` names the feature that needs it (``"the emulator"``, ``"mask dilate/feather"``)."""
    _known(extra)
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise missing_extra(extra, e.name or module, what=what) from None


def ensure(extra: str, *modules: str, what: str | None = None) -> None:
    """Raise :class:`MissingExtraError` unless every one of ``modules`` can be imported (none is imported).

    >>> ensure("emulator", "json", "no_such_module_imgx", what="the emulator")
    Traceback (most recent call last):
    ...
    imgx_kit.core.errors.MissingExtraError: the emulator needs no_such_module_imgx, which is not installed — pip ...
    """
    _known(extra)
    absent = missing(*modules)
    if absent:
        raise missing_extra(extra, absent[0], what=what)


def missing_extra(extra: str, module: str, *, what: str | None = None) -> MissingExtraError:
    """The error for ``module`` (provided by ``extra``) not being importable."""
    needs = f"{what} needs {module}, which" if what else module
    return MissingExtraError(f"{needs} is not installed", hint=install_hint(extra), extra=extra, module=module)


def _known(extra: str) -> None:
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; one of {sorted(EXTRAS)}")
