"""``ari-notebook lab | sim | doctor``: the one command a newcomer types.

``lab`` copies the tutorials shipped inside the package to a working folder (never overwriting
a file the user has edited) and starts JupyterLab there; ``sim`` runs the embedded ARI
simulator until Ctrl-C or SIGTERM; ``doctor`` checks a real server's ARI setup and exits
non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

DEFAULT_LAB_DIR = "~/ari-notebook-tutorials"


# --------------------------------------------------------------------------- tutorials

def tutorials_dir() -> Path:
    """The folder of tutorial notebooks installed with the package."""
    path = Path(str(resources.files("ari_notebook") / "notebooks"))
    if not path.is_dir():  # a source checkout without the ari_notebook/notebooks link
        path = Path(__file__).resolve().parent.parent / "notebooks"
    return path


def tutorial_notebooks() -> list[Path]:
    return sorted(tutorials_dir().glob("[0-9][0-9]*.ipynb"))


def copy_tutorials(dest: Path) -> list[Path]:
    """Copy every tutorial missing from ``dest``; returns the files copied (existing ones are kept)."""
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for src in tutorial_notebooks():
        target = dest / src.name
        if not target.exists():
            shutil.copyfile(src, target)
            copied.append(target)
    return copied


# --------------------------------------------------------------------------- lab

def _lab(args: argparse.Namespace) -> int:
    dest = Path(os.path.expanduser(args.dir)).resolve()
    if not tutorial_notebooks():
        print(f"error: no tutorials found in {tutorials_dir()} (broken installation?)", file=sys.stderr)
        return 2
    copied = copy_tutorials(dest)
    print(f"Tutorials in {dest}" + (f" ({len(copied)} copied)" if copied else " (kept as they are)"))
    if os.environ.get("ARI_URL"):
        print(f"Notebooks will connect to ARI_URL={os.environ['ARI_URL']} as ARI_USERNAME="
              f"{os.environ.get('ARI_USERNAME', '?')}")
    else:
        print("ARI_URL is not set: notebooks use the built-in simulator.")
    if args.no_browser_start:
        return 0
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={dest}", *args.lab_args]
    proc = subprocess.Popen(cmd)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # JupyterLab handles the Ctrl-C itself (it asks to confirm)
            continue


# --------------------------------------------------------------------------- sim

async def _run_sim(host: str, port: int, config: dict[str, Any], ready=print) -> None:
    from .sim import Simulator

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    sim = await Simulator.start(host=host, port=port, **config)
    try:
        ready(f"ARI simulator listening on {sim.url} (ARI at {sim.url}/ari, user {sim.username}); "
              "Ctrl-C to stop")
        ready(f"  try: ARI_URL={sim.url} ARI_USERNAME={sim.username} ARI_PASSWORD=... ari-notebook lab")
        await stop.wait()
    finally:
        await sim.stop()
        ready("simulator stopped")


def _sim(args: argparse.Namespace) -> int:
    # The simulator reads its own TOML file (ari.conf/http.conf/extensions.conf as sections).
    config: dict[str, Any] = {"config": args.config, "clock_speed": args.clock_speed}
    if args.allow_public:
        config["allow_public"] = True
    from ._errors import ConfigurationError

    try:
        asyncio.run(_run_sim(args.host, args.port, config, ready=lambda m: print(m, flush=True)))
    except KeyboardInterrupt:
        pass
    except ConfigurationError as exc:  # e.g. a public address without --allow-public: say so, no traceback
        print(f"ari-notebook sim: {exc}".replace("allow_public=True", "--allow-public"), file=sys.stderr)
        return 2
    return 0


# --------------------------------------------------------------------------- doctor

def _doctor(args: argparse.Namespace) -> int:
    from . import doctor

    password = args.password
    if password is None:
        password = os.environ.get("ARI_PASSWORD")
    if password is None:
        import getpass

        password = getpass.getpass(f"ARI password for {args.username}: ")
    report = asyncio.run(doctor.check(args.url, args.username, password, origin=args.origin,
                                      cafile=args.cafile, timeout=args.timeout))
    print(report.to_text())
    return report.exit_code


# --------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ari-notebook",
        description="A Jupyter workbench for the Asterisk REST Interface (ARI).",
        epilog="Notebooks connect to ARI_URL/ARI_USERNAME/ARI_PASSWORD when set, else to a built-in simulator.")
    sub = parser.add_subparsers(dest="command", metavar="{lab,sim,doctor}")
    sub.required = True

    lab = sub.add_parser("lab", help="open JupyterLab on the tutorials",
                         description="Copy the tutorial notebooks to a working folder (keeping files you "
                                     "changed) and start JupyterLab there. Extra arguments go to JupyterLab.")
    lab.add_argument("--dir", default=DEFAULT_LAB_DIR, help="working folder (default: %(default)s)")
    lab.add_argument("--no-start", dest="no_browser_start", action="store_true",
                     help="only copy the tutorials, do not start JupyterLab")
    lab.set_defaults(func=_lab)

    sim = sub.add_parser("sim", help="run the ARI simulator (a pretend Asterisk 23)",
                         description="Serve the embedded ARI simulator until Ctrl-C or SIGTERM. "
                                     "Default users: asterisk/asterisk (read-write), viewer/viewer (read-only).")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    sim.add_argument("--port", type=int, default=8088, help="port (default: %(default)s; 0 = any free port)")
    sim.add_argument("--config", metavar="FILE", help="simulator settings as TOML: [http], [ari], [users.NAME], "
                                                      "[dialplan.CONTEXT], [endpoints], [sounds], ...")
    sim.add_argument("--clock-speed", type=float, metavar="X",
                     help="run the simulated clock X times faster than real time")
    sim.add_argument("--allow-public", action="store_true",
                     help="allow a non-loopback --host (the demo passwords become reachable from other machines)")
    sim.set_defaults(func=_sim)

    doc = sub.add_parser("doctor", help="check a server's ARI setup and say what to fix",
                         description="Check reachability, TLS, HTTP server, ARI enabled, credentials, "
                                     "read-only, WebSocket, CORS, API version and registered apps. "
                                     "Exit status 1 when a check fails.")
    doc.add_argument("url", help="server root URL, e.g. http://127.0.0.1:8088 (or .../ari)")
    doc.add_argument("-u", "--username", required=True, help="ARI user (ari.conf section name)")
    doc.add_argument("-p", "--password", help="ARI password (default: $ARI_PASSWORD, else prompt)")
    doc.add_argument("--origin", help="a web Origin to test CORS for, e.g. http://localhost:8888")
    doc.add_argument("--cafile", help="CA or self-signed certificate (PEM) to verify https:// with")
    doc.add_argument("--timeout", type=float, default=5.0, help="seconds per step (default: %(default)s)")
    doc.set_defaults(func=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.lab_args = extra
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
