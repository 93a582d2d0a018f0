"""The English and Chinese notebooks as two editions of one text: same code cells, Chinese prose.

``notebooks/zh/X.ipynb`` is ``notebooks/X.ipynb`` with every markdown cell in Chinese (matched by
cell id) and one extra first code cell that calls ``ik.set_language("zh")``. The test
(tests/test_notebooks_sync.py) and the maintainers' tool share these functions:

    python tests/notebook_editions.py sync      # copy the English code cells into notebooks/zh
                                                # (Chinese markdown kept by cell id); then re-execute

    >>> setup = {"cell_type": "code", "id": SETUP_ID, "source": SETUP_SOURCE, "metadata": {}}
    >>> is_setup_cell(setup), is_setup_cell({"cell_type": "code", "id": "c00", "source": "1"})
    (True, False)
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EN = ROOT / "notebooks"
ZH = EN / "zh"
NOTEBOOKS = ("00_start_here", "01_sign_step_by_step", "02_three_schemes_compared", "03_debug_signature_mismatch",
             "04_imagex_upload_walkthrough", "05_paint_and_inpaint", "06_oss_image_processing", "app_inpaint")
SETUP_ID = "zh-language"
SETUP_SOURCE = ('import imgx_kit as ik\n\n'
                'ik.set_language("zh")   # 库自身显示的文字（步骤说明、差异标签、诊断、工具提示、错误提示）改用中文')

Cell = dict[str, Any]


def load(path: Path) -> dict[str, Any]:
    nb: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return nb


def source(cell: Cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def is_setup_cell(cell: Cell) -> bool:
    return cell.get("cell_type") == "code" and cell.get("id") == SETUP_ID


def code_cells(nb: dict[str, Any]) -> list[Cell]:
    """The code cells, without the Chinese edition's language-setting cell."""
    return [c for c in nb["cells"] if c["cell_type"] == "code" and not is_setup_cell(c)]


def tags(cell: Cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def setup_cell() -> Cell:
    return {"cell_type": "code", "execution_count": None, "id": SETUP_ID, "metadata": {}, "outputs": [],
            "source": SETUP_SOURCE}


def build(english: dict[str, Any], chinese_markdown: dict[str, str],
          old: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Chinese edition of ``english``: its cells in order, markdown replaced by ``chinese_markdown[id]``,
    code cells copied (with the outputs of ``old`` where the code is unchanged), the setup cell first."""
    missing = [c["id"] for c in english["cells"] if c["cell_type"] == "markdown" and c["id"] not in chinese_markdown]
    if missing:
        raise SystemExit(f"no Chinese text for markdown cells {missing}")
    old_code = {c["id"]: c for c in code_cells(old)} if old else {}
    cells: list[Cell] = [copy.deepcopy(old["cells"][0]) if old and is_setup_cell(old["cells"][0]) else setup_cell()]
    for c in english["cells"]:
        c = copy.deepcopy(c)
        if c["cell_type"] == "markdown":
            c["source"] = chinese_markdown[c["id"]]
        elif c["id"] in old_code and source(old_code[c["id"]]) == source(c):
            mine = old_code[c["id"]]
            c["outputs"], c["execution_count"] = mine.get("outputs", []), mine.get("execution_count")
            c["metadata"].pop("execution", None)       # when the Chinese edition ran, not the English one
            if "execution" in mine.get("metadata", {}):
                c["metadata"]["execution"] = mine["metadata"]["execution"]
        cells.append(c)
    nb = copy.deepcopy(english)
    nb["cells"] = cells
    if old:                                  # its own title and stored widget state
        nb["metadata"] = {**nb["metadata"], **{k: v for k, v in old["metadata"].items() if k in ("title", "widgets")}}
    return nb


def save(nb: dict[str, Any], path: Path) -> None:
    import nbformat  # writes exactly as Jupyter and nbconvert do (small diffs)
    path.write_text(nbformat.writes(nbformat.from_dict(nb)) + "\n", encoding="utf-8")  # type: ignore[no-untyped-call]


def sync() -> None:
    """Bring every Chinese notebook's code in step with the English one (markdown kept by cell id)."""
    for name in NOTEBOOKS:
        en, zh_path = load(EN / f"{name}.ipynb"), ZH / f"{name}.ipynb"
        if not zh_path.exists():
            print("no Chinese edition yet:", zh_path.relative_to(ROOT))
            continue
        zh = load(zh_path)
        markdown = {c["id"]: source(c) for c in zh["cells"] if c["cell_type"] == "markdown"}
        save(build(en, markdown, zh), zh_path)
        print("synced", zh_path.relative_to(ROOT))


if __name__ == "__main__":
    if sys.argv[1:] != ["sync"]:
        raise SystemExit(__doc__)
    sync()
