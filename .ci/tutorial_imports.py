"""Run every import statement of the tutorial notebooks (and the lazy names they use) in this interpreter.

.ci/run calls it in a venv where the wheel was installed with the ``lab`` extra, from a folder outside
the checkout, so that each import resolves against the installed package, not the source tree.

    python .ci/tutorial_imports.py notebooks/
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

#: lazily imported names the tutorials reach through ``ik.`` (an import statement does not load them)
LAZY = ["ik.emulator.running", "ik.MaskPainter", "ik.widgets.SignatureLab", "ik.ImageXClient", "ik.VisualClient",
        "ik.oss.Client", "ik.oss.apply"]


def import_statements(folder: Path) -> dict[str, list[str]]:
    """import statement -> notebooks that contain it (IPython magics and shell lines dropped)."""
    found: dict[str, list[str]] = {}
    notebooks = sorted(folder.rglob("*.ipynb"))
    assert notebooks, f"no notebooks under {folder}"
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            code = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "level", 0) == 0:
                    found.setdefault(ast.unparse(node), []).append(path.name)
    return found


def main(folder: str) -> None:
    statements = import_statements(Path(folder))
    namespace: dict[str, object] = {}
    for stmt, where in sorted(statements.items()):
        try:
            exec(stmt, namespace)
        except Exception as e:
            raise SystemExit(f"{stmt!r} (in {', '.join(sorted(set(where)))}) failed: {type(e).__name__}: {e}") from e
    exec("import imgx_kit as ik", namespace)
    for name in LAZY:
        eval(name, namespace)
    ik = namespace["ik"]
    print(f"tutorial imports: {len(statements)} statements and {len(LAZY)} lazy names ok "
          f"(imgx_kit from {Path(ik.__file__).parent})")


if __name__ == "__main__":
    main(sys.argv[1])
