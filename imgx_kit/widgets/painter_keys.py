"""The painter's keyboard and focus scope: a tiny invisible anywidget inside the painter.

Why: JupyterLab (and Notebook 7) handle shortcuts in a capture-phase ``keydown`` listener on the
document, so an element that stops propagation is too late — ``b`` pressed after clicking a
painter button inserted a cell. Lumino's documented escape hatch is the
``data-lm-suppress-shortcuts`` attribute: ``CommandRegistry`` stops matching key bindings at an
element that carries it (``@lumino/commands`` ``Private.matchDistance``; JupyterLab's own
shortcut editor uses it on its key-capture box). This scope puts the attribute on the painter's
root, so no JupyterLab shortcut fires while focus is inside the painter, and handles the painter's
keys itself (in the capture phase on the root, before ipycanvas's canvas listener, which would
``preventDefault`` every key and trap Tab).

Focus: a press on the canvas of a painter that does not have focus only focuses it; it paints
only when it turns into a drag (the press is replayed at its start, so the stroke starts where
the press was). ``Escape`` gives focus back to the page. In Voilà the attribute is harmless.

    >>> PainterKeys().handled_keys[:3]
    ['b', 'e', '[']
"""
from __future__ import annotations

import anywidget
import traitlets

__all__ = ["MOD_KEYS", "PLAIN_KEYS", "PainterKeys"]

PLAIN_KEYS = ("b", "e", "[", "]", "+", "=", "-", "_", "0")     # without ctrl/meta
MOD_KEYS = ("z", "y")                                           # with ctrl or meta (shift allowed)

_ESM = r"""
const EDITABLE = "input, textarea, select, [contenteditable=''], [contenteditable='true']";
const DRAG_PX = 3;     // a press that moves this far (CSS px) is a drag: it paints

function render({ model, el }) {
  const plain = new Set(model.get("handled_keys"));
  const mod = new Set(model.get("handled_mod_keys"));
  let root = null, pending = null, tries = 0, frame = 0;

  const inCanvas = (t) => t instanceof HTMLCanvasElement && !!t.closest(".imgx-painter-canvas");
  const focused = () => !!root && root.contains(document.activeElement);

  function onKey(ev) {
    if (ev.target.closest && ev.target.closest(EDITABLE)) return;   // typing into a field
    const k = (ev.key || "").toLowerCase();
    const withMod = ev.ctrlKey || ev.metaKey;
    if (ev.key === "Escape") {
      ev.preventDefault(); ev.stopPropagation();
      if (document.activeElement && root.contains(document.activeElement)) document.activeElement.blur();
      return;
    }
    if ((withMod && mod.has(k)) || (!withMod && !ev.altKey && plain.has(ev.key))) {
      ev.preventDefault(); ev.stopPropagation();
      model.send({ key: ev.key, shift: ev.shiftKey, ctrl: ev.ctrlKey, meta: ev.metaKey });
    } else if (inCanvas(ev.target)) {
      ev.stopPropagation();       // keep ipycanvas from swallowing Tab and friends
    }
  }

  function onDown(ev) {
    if (ev.button !== 0 || !inCanvas(ev.target) || focused() || ev.imgxReplay) return;
    ev.preventDefault(); ev.stopPropagation();     // this press focuses; it paints only as a drag
    ev.target.focus({ preventScroll: true });
    pending = { target: ev.target, x: ev.clientX, y: ev.clientY, init: {
      bubbles: true, cancelable: true, clientX: ev.clientX, clientY: ev.clientY, screenX: ev.screenX,
      screenY: ev.screenY, button: 0, buttons: 1, ctrlKey: ev.ctrlKey, shiftKey: ev.shiftKey,
      altKey: ev.altKey, metaKey: ev.metaKey } };
  }

  function onMove(ev) {
    if (!pending || Math.hypot(ev.clientX - pending.x, ev.clientY - pending.y) < DRAG_PX) return;
    const p = pending;
    pending = null;
    const replay = new MouseEvent("mousedown", p.init);
    replay.imgxReplay = true;
    p.target.dispatchEvent(replay);           // the stroke starts where the press was
  }

  function onUp() { pending = null; }

  function attach() {
    frame = 0;
    root = el.closest(".imgx-mask-painter");
    if (!root) {
      if (++tries < 600) frame = requestAnimationFrame(attach);      // not in the page yet
      return;
    }
    root.setAttribute("data-lm-suppress-shortcuts", "true");
    root.addEventListener("keydown", onKey, true);
    root.addEventListener("mousedown", onDown, true);
    root.addEventListener("mousemove", onMove, true);
    window.addEventListener("mouseup", onUp, true);
    el.dataset.imgxKeysReady = "true";
  }
  attach();

  return () => {
    if (frame) cancelAnimationFrame(frame);
    if (!root) return;
    root.removeEventListener("keydown", onKey, true);
    root.removeEventListener("mousedown", onDown, true);
    root.removeEventListener("mousemove", onMove, true);
    window.removeEventListener("mouseup", onUp, true);
  };
}
export default { render };
"""


class PainterKeys(anywidget.AnyWidget):
    """Invisible child of a painter: keeps JupyterLab's shortcuts out and sends the painter's keys.

    Messages to Python: ``{"key", "shift", "ctrl", "meta"}`` (``on_msg`` callbacks).
    """

    _esm = _ESM
    handled_keys = traitlets.List(traitlets.Unicode(), list(PLAIN_KEYS)).tag(sync=True)
    handled_mod_keys = traitlets.List(traitlets.Unicode(), list(MOD_KEYS)).tag(sync=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.layout.display = "none"
