"""imgx-kit emulator: run every emulated service on one loopback port until Ctrl-C.

    $ imgx-kit emulator --port 8765 --fault upload:503:0.2 --fault visual:throttle:0.1

Prints the endpoints and the demo credentials (public, valid only against the emulator); other
commands use it with --emulator-url URL (it answers GET URL/__imgx__/endpoints).
Faults are ROUTE:KIND[:RATE] with ROUTE one of jimeng, imagex, upload, visual, oss or '*', and
KIND an HTTP status (503), throttle, reset, truncate, latency=SECONDS or slow=SECONDS.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

from .common import UsageError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from . import plain
    p = sub.add_parser("emulator", help="run the offline emulator of all services",
                       description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=_port, default=0, help="port to listen on, 0–65535 (default 0: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--teaching", dest="teaching", action="store_true", default=True,
                      help="echo the canonical request and string to sign on SignatureDoesNotMatch (default)")
    mode.add_argument("--strict", dest="teaching", action="store_false",
                      help="answer exactly as the real services")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a throwaway CA (path printed)")
    p.add_argument("--seed", type=int, default=0, help="seed for ids and faults (default 0)")
    p.add_argument("--fault", action="append", default=[], metavar="ROUTE:KIND[:RATE]",
                   help="inject a fault, e.g. upload:503:0.2 (repeatable)")
    p.add_argument("--state-dir", help="keep OSS objects and uploads in this directory")
    p.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"{n} is outside 0–65535")
    return n


def _check_state_dir(path: str | None) -> None:
    if path is None:
        return
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--state-dir {path} exists and is not a directory", hint="name a directory (it is created)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"--state-dir {path}: the folder {parent} does not exist", hint="create it first (mkdir -p)")


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    # imported here: the emulator is an extra, and `imgx-kit --help` / `sign` work without it
    from ..emulator.api import Emulator
    from ..emulator.faults import parse_fault_spec

    faults = [parse_fault_spec(f) for f in args.fault]
    _check_state_dir(args.state_dir)
    try:                                        # werkzeug would print its own line and exit(1)
        family, _, _, _, addr = socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)      # as the server binds
            probe.bind(addr)
    except (OSError, UnicodeError) as e:
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({getattr(e, 'strerror', None) or e})",
                         hint="pick another --port (0: a free one), or --host 127.0.0.1") from None
    emu = Emulator(teaching=args.teaching, seed=args.seed, tls=args.tls, port=args.port,
                   host=args.host, state_dir=args.state_dir)
    for f in faults:
        emu.faults.add(f.pop("route"), **f)
    try:
        emu.start()
    except (OSError, OverflowError) as e:
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({getattr(e, 'strerror', None) or e})",
                         hint="pick another --port (0 = a free one) or --host") from None
    try:
        print(emu.banner())
        print(f"use it from other commands with --emulator-url {emu.url}")
        for rule in emu.faults.rules:
            print(f"  fault: {rule!r}")
        print("Press Ctrl-C to stop.", flush=True)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        print("emulator stopped", file=sys.stderr)
    return 0
