"""A throwaway certificate authority (``trustme``) for ``running(tls=True)``.

The CA's PEM is written to ``emu.ca_bundle``; point a client at it (``REQUESTS_CA_BUNDLE``,
``session.verify = emu.ca_bundle``) to talk HTTPS to the emulator without disabling checks.
"""
from __future__ import annotations

import ipaddress
import os
import ssl

__all__ = ["make_tls"]


def make_tls(directory: str, host: str = "127.0.0.1") -> tuple[ssl.SSLContext, str]:
    """(server SSL context, path of the CA bundle) for a certificate valid for ``host``,
    ``127.0.0.1``, ``::1``, ``localhost`` and ``*.localhost``."""
    import trustme

    ca = trustme.CA(organization_name="imgx-kit emulator")
    names = {"127.0.0.1", "::1", "localhost", "*.localhost"}
    try:
        ipaddress.ip_address(host)
        names.add(host)
    except ValueError:
        if host:
            names.add(host)
    cert = ca.issue_cert(*sorted(names))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    path = os.path.join(directory, "imgx-emulator-ca.pem")
    ca.cert_pem.write_to_path(path)
    return ctx, path
