"""The core layer: request model, schemes, canonicalisation, signers, traces, captures, diagnosis.

Standard library only (``requests`` is imported lazily by :func:`capture.from_prepared`).
"""
