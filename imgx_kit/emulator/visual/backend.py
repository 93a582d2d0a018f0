"""Visual (CV) state, no HTTP (moto's ``models.py``): the async tasks ``CVSync2AsyncSubmitTask``
stores and ``CVSync2AsyncGetResult`` reads back, on the emulator's :class:`State`.

    >>> from imgx_kit.emulator.state import State
    >>> st = State(seed=1)
    >>> task = submit_task(st, {"binary_data_base64": ["..."]})
    >>> task_result(st, task)["status"], task_result(st, "nope")
    ('done', None)
"""
from __future__ import annotations

from typing import Any

from ..state import State

__all__ = ["submit_task", "task_result"]


def submit_task(state: State, data: dict) -> str:
    """Keep a finished task's ``data``; its new task id."""
    task = state.hex(20)
    with state.lock:
        state.tasks[task] = data
    return task


def task_result(state: State, task: Any) -> dict | None:
    """The answer ``data`` of task ``task`` (done), or ``None`` when it is unknown."""
    with state.lock:
        data = state.tasks.get(task) if isinstance(task, str) else None
    return None if data is None else dict(data, status="done", resp_data="")
