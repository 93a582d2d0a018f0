"""The IPython extension: ``%load_ext imgx_kit`` adds the ``%%imgx_watch`` cell magic.

``%%imgx_watch`` runs the cell inside :func:`imgx_kit.watch` and shows the watch after the cell's
own output; ``%%imgx_watch creds`` evaluates ``creds`` in the notebook's namespace and re-signs
with it. The watch is also left in the variable ``imgx_watch`` for a closer look::

    %load_ext imgx_kit

    %%imgx_watch creds
    vs.cv_process({...})

An exception in the cell is shown by IPython as usual; the watch still closes and is shown.
IPython is imported only when the extension is loaded (it comes with the kernel, not with imgx-kit).
"""
from __future__ import annotations

from typing import Any

from ..core.errors import ImgxError
from ..services.watch import Watch

__all__ = ["imgx_watch", "load_ipython_extension"]


def imgx_watch(shell: Any, line: str, cell: str) -> None:
    """Run the cell while watching its HTTP calls, then show them (``%%imgx_watch [creds]``)."""
    from IPython.display import display

    expr = line.strip()
    creds = shell.ev(expr) if expr else None
    try:
        w = Watch(creds)
    except ImgxError as e:
        print(f"%%imgx_watch: {e.message} ({e.hint})")
        return
    with w:
        shell.run_cell(cell, store_history=False)
    shell.user_ns["imgx_watch"] = w
    display(w)  # type: ignore[no-untyped-call]


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(lambda line, cell: imgx_watch(ipython, line, cell),
                                    magic_kind="cell", magic_name="imgx_watch")
