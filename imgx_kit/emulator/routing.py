"""Which service a request is for — the URL map, separate from the services and the server.

On a service's own listener everything is that service's (its root ``/`` is the real host's
``/``). On the main listener (``emu.url``), in order:

* ``Host`` named as the real hosts are (:data:`REAL_HOSTS`), or by its first label
  (``imagex.…``, ``jimeng.…``, ``visual.…``, ``upload.…``, ``oss.…``, ``sts.…``) → that service;
* path prefixes ``/jimeng/…``, ``/imagex/…``, ``/visual/…`` (the old layout, still served);
* ``/mweb/…`` → Jimeng; ``/upload/v1/…``, ``/tos-…`` → the upload host;
* ``/?Action=AssumeRole`` → STS; ``/?Action=…`` → visual for the CV actions, else ImageX; a signed
  ``/`` without Action by its Authorization scope (read by :mod:`imgx_kit.core.declared`);
* anything else → OSS, path style (``/<bucket>/<key>``).

    >>> route_of("/imagex/", "127.0.0.1:80", "Action=ApplyImageUpload")
    ('imagex', '/')
    >>> route_of("/", "visual.volcengineapi.com", "Action=CVProcess")
    ('visual', '/')
    >>> route_of("/imgx-demo/a.png", "127.0.0.1:80", "")
    ('oss', '/imgx-demo/a.png')
"""
from __future__ import annotations

from ..core.declared import parse_authorization, scheme_word

__all__ = ["IMAGEX_ACTIONS", "REAL_HOSTS", "SERVICES", "VISUAL_ACTIONS", "host_route", "route_of"]

#: every service, in the order of ``emu.endpoints``; a new one (e.g. ``"sts"``) is added here,
#: in :data:`REAL_HOSTS` if it has real host names, and in ``Emulator``'s service table.
SERVICES = ("jimeng", "imagex", "upload", "visual", "oss", "sts")
VISUAL_ACTIONS = frozenset({"CVProcess", "Img2ImgInpainting", "Img2ImgInpaintingEdit",
                            "CVSync2AsyncSubmitTask", "CVSync2AsyncGetResult", "CVSubmitTask",
                            "CVGetResult", "ImageInpaint"})
IMAGEX_ACTIONS = frozenset({"ApplyImageUpload", "CommitImageUpload"})
_PREFIXES = ("jimeng", "imagex", "visual")

#: the real services' host names (protocols.md §2, §3.1, §3.5, seed 001), without the port
REAL_HOSTS: dict[str, str] = {
    "jimeng.jianying.com": "jimeng",
    "dreamina-api.us.capcut.com": "jimeng",
    "mweb-api-sg.capcut.com": "jimeng",
    "imagex.bytedanceapi.com": "imagex",
    "imagex16-normal-us-ttp.capcutapi.us": "imagex",
    "imagex-normal-sg.capcutapi.com": "imagex",
    "imagex.volcengineapi.com": "imagex",
    "imagex-ap-singapore-1.volcengineapi.com": "imagex",
    "imagex-us-east-1.volcengineapi.com": "imagex",
    "imagex.ap-southeast-1.volcengineapi.com": "imagex",
    "visual.volcengineapi.com": "visual",
    "tos-hl-x.snssdk.com": "upload",
    "sts.aliyuncs.com": "sts",
}


def host_name(host: str) -> str:
    """``Host`` without the port, lower-cased."""
    h = host.strip().lower()
    if h.startswith("["):
        return h.split("]", 1)[0] + "]"
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def host_route(host: str) -> str | None:
    """The service a real or service-named ``Host`` names, else ``None``.

        >>> host_route("imagex.bytedanceapi.com:443"), host_route("b.oss-cn-hangzhou.aliyuncs.com")
        ('imagex', 'oss')
    """
    name = host_name(host)
    if name in REAL_HOSTS:
        return REAL_HOSTS[name]
    if name.endswith(".aliyuncs.com") and (".oss-" in "." + name or name.startswith("oss-")):
        return "oss"
    if not name or name[:1].isdigit() or name.startswith("[") or "." not in name:
        return None
    label = name.split(".", 1)[0]
    return label if label in SERVICES else None


def route_of(path: str, host: str, query: str, auth: str | None = None) -> tuple[str, str]:
    """(route, path below the route prefix) for a raw path, Host header and raw query."""
    named = host_route(host)
    if named is not None:
        return named, path
    seg, _, rest = path[1:].partition("/")
    if seg in _PREFIXES:
        return seg, "/" + rest
    if seg == "upload" and rest.startswith("v1/"):
        return "upload", path
    if seg.startswith("tos-"):
        return "upload", path
    if seg == "mweb":
        return "jimeng", path
    if path == "/" or path == "":
        for piece in query.split("&"):
            if piece.startswith("Action="):
                if piece[7:] == "AssumeRole":                     # Aliyun STS (emulator/sts.py)
                    return "sts", "/"
                return ("visual" if piece[7:] in VISUAL_ACTIONS else "imagex"), "/"
        word = scheme_word(auth, "") if auth is not None else None     # the core's one parser
        if word == "VOLC":
            declared = parse_authorization(auth or "")
            cv = declared.service == "cv" if declared is not None else "/cv/request" in (auth or "")
            return ("visual" if cv else "imagex"), "/"
        if word == "AWS4":
            return "imagex", "/"
    return "oss", path
