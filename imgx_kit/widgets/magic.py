"""The IPython extension: ``%load_ext imgx_kit`` adds the ``%%imgx_watch`` cell magic.

``%%imgx_watch`` runs the cell inside :func:`imgx_kit.watch` and shows the watch after the cell's
own output; ``%%imgx_watch creds`` evaluates ``creds`` in the notebook's namespace and re-signs
with it. The watch is also left in the variable ``imgx_watch`` for a closer look::

    %load_ext imgx_kit

    %%imgx_watch creds
    vs.cv_process({...})

An exception in the cell is shown by IPython as usual; the watch still closes and is shown.
"""
from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.display import display

from ..core.errors import ImgxError
from ..services.watch import Watch

__all__ = ["WatchMagics", "load_ipython_extension"]


@magics_class
class WatchMagics(Magics):
    @cell_magic
    def imgx_watch(self, line: str, cell: str) -> None:
        """Run the cell while watching its HTTP calls, then show them (``%%imgx_watch [creds]``)."""
        shell = self.shell
        assert shell is not None                      # a registered magic always has its shell
        expr = line.strip()
        creds = shell.ev(expr) if expr else None  # type: ignore[no-untyped-call]
        try:
            w = Watch(creds)
        except ImgxError as e:
            print(f"%%imgx_watch: {e.message} ({e.hint})")
            return
        with w:
            shell.run_cell(cell, store_history=False)  # type: ignore[no-untyped-call]
        shell.user_ns["imgx_watch"] = w
        display(w)  # type: ignore[no-untyped-call]


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(WatchMagics)
