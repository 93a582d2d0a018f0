"""The widgets layer: trace views, the Signature Lab and the MaskPainter (ipywidgets, ipycanvas)."""
