"""Shared fixtures. Constants live in imgx_testing.py (import from there, not from conftest)."""
from __future__ import annotations

import pytest

from imgx_testing import CANARY_AUTH, CANARY_SECRET, CANARY_SESSIONID, CANARY_TOKEN


@pytest.fixture
def canaries():
    return [CANARY_SECRET, CANARY_TOKEN, CANARY_SESSIONID, CANARY_AUTH]

# notebooks under tests/ are fixtures of the browser tests, not tutorials for nbval
collect_ignore_glob = ["browser/*.ipynb", "browser/**/*.ipynb", "data/**"]


@pytest.fixture(autouse=True)
def _english_between_tests():
    """ik.set_language is process-wide: every test starts in English and leaves English behind."""
    from imgx_kit.core import i18n
    i18n.set_language("en")
    yield
    i18n.set_language("en")
