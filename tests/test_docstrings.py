"""Every docstring example in imgx_kit runs and prints what it says (the examples are documentation)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import imgx_kit

MODULES = sorted(m.name for m in pkgutil.walk_packages(imgx_kit.__path__, "imgx_kit.")
                 if not m.name.endswith("__main__"))       # __main__ runs the CLI on import


def test_the_package_has_docstring_examples():
    total = sum(len(t.examples) for name in MODULES
                for t in doctest.DocTestFinder().find(importlib.import_module(name)))
    assert total >= 70, total


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, \
        f"{result.failed} of {result.attempted} examples in {name} failed (run python -m doctest -v)"
