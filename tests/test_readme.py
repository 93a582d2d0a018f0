"""README keeps exactly two set-up commands, and CI runs the test one verbatim."""
from __future__ import annotations

import re

from imgx_testing import ROOT


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_readme_has_exactly_two_setup_commands():
    cmds = _setup_commands()
    assert len(cmds) == 2
    assert all("\n" not in c for c in cmds)
    assert "jupyter lab notebooks/00_start_here.ipynb" in cmds[0]
    assert 'pip install -e ".[lab]"' in cmds[0], "the tutorials need the lab extra (JupyterLab, emulator)"
    assert 'pip install -e ".[test]"' in cmds[1] and "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _setup_commands()[1] in ci
    assert "apt-get install -y" in ci and "chromium" in ci
