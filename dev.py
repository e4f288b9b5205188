#!/usr/bin/env python3
"""The two README commands: `python3 dev.py demo` and `python3 dev.py test`.

Only the standard library is used here, because this file runs before anything is installed.
It builds a virtual environment from the hash-pinned lock (requirements.lock, compiled by
`uv pip compile` from pyproject.toml) and hands over to the project's own `gridgov` command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "var"
TOOLS = VAR / "tools"  # a private venv that only holds uv, so .venv holds exactly the lock
VENV = ROOT / ".venv"
UV_VERSION = "0.13.9"
LOCK = ROOT / "requirements.lock"
CHROMIUM = Path("/usr/bin/chromium")
# Debian packages for the browser tests; the CJK font makes Chinese pages render as text, not boxes.
BROWSER_PACKAGES = ["chromium", "fonts-noto-cjk", "poppler-utils"]  # pdftotext reads PDFs back
# Chinese text drawn on the server (bulletin charts, PDFs) needs a CJK font too, demo included.
FONT_PACKAGES = ["fonts-noto-cjk", "fonts-wqy-microhei"]
NODE_PACKAGES = ["nodejs", "npm"]
NPM_LOCK = ROOT / "package-lock.json"
NPM_STAMP = ROOT / "node_modules" / ".package-lock.json"  # npm rewrites it on every install


def say(msg: str) -> None:
    print(f"\033[1;34m==>\033[0m {msg}", flush=True)


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, **kw)


def ensure_env() -> Path:
    """Create or refresh .venv from the lock; cheap when nothing changed."""
    VAR.mkdir(exist_ok=True)
    uv = TOOLS / "bin" / "uv"
    if not uv.exists():
        say("installing uv (package manager) into var/tools")
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"])
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", VIRTUAL_ENV=str(VENV))
    env.pop("CONDA_PREFIX", None)
    if not (VENV / "bin" / "python").exists():
        run([str(uv), "venv", "--quiet", "--python", sys.executable, str(VENV)], cwd=ROOT, env=env)
    say("syncing .venv with requirements.lock")
    run([str(uv), "pip", "sync", "--quiet", "--require-hashes", str(LOCK)], cwd=ROOT, env=env)
    # The project itself, editable, so source edits need no reinstall.
    run([str(uv), "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT)], cwd=ROOT, env=env)
    return VENV / "bin"


def _dpkg_missing(packages: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return packages
    missing = []
    for name in packages:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in out.stdout:
            missing.append(name)
    return missing


_apt_updated = False


def apt_install(packages: list[str], why: str) -> bool:
    """Install Debian packages if we may; False when we cannot (not root, no apt)."""
    global _apt_updated
    missing = _dpkg_missing(packages)
    if not missing:
        return True
    if not (shutil.which("apt-get") and os.geteuid() == 0):
        return False
    say(f"installing Debian packages {' '.join(missing)} ({why})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        run(["apt-get", "update", "-qq"], env=env)
        _apt_updated = True
    run(["apt-get", "install", "-y", "-qq", *missing], env=env)
    return True


def ensure_frontend() -> None:
    """JS libraries (ECharts, idb-keyval) from the npm registry at build time, never a CDN."""
    if NPM_STAMP.exists() and NPM_STAMP.stat().st_mtime >= NPM_LOCK.stat().st_mtime:
        return
    if not shutil.which("npm") and not apt_install(NODE_PACKAGES, "npm fetches the chart library"):
        sys.exit(f"npm is needed to fetch the front-end libraries: install {' '.join(NODE_PACKAGES)}.")
    say("installing front-end libraries from package-lock.json")
    run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT)


def ensure_fonts() -> None:
    if not apt_install(FONT_PACKAGES, "Chinese text in charts and PDFs"):
        say(f"warning: install {' '.join(FONT_PACKAGES)} or Chinese in charts and PDFs shows as boxes")


def ensure_browser() -> None:
    if not apt_install(BROWSER_PACKAGES, "the browser tests") and not (
        CHROMIUM.exists() and shutil.which("pdftotext")
    ):
        sys.exit(
            "The browser tests need Chromium at /usr/bin/chromium and pdftotext: "
            f"install the Debian packages {' '.join(BROWSER_PACKAGES)} and run again."
        )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "env"}:
        print(__doc__)
        print("usage: python3 dev.py demo [--grids N] | test [pytest args] | env")
        return 2
    what, rest = argv[0], argv[1:]
    bin_ = ensure_env()
    ensure_frontend()
    ensure_fonts()
    if what == "env":
        return 0
    if what == "demo":
        return subprocess.call([str(bin_ / "gridgov"), "demo", *rest], cwd=ROOT)
    ensure_browser()
    # One test process per core (pytest-xdist); each gets its own test database.
    parallel = [] if any(a.startswith(("-n", "--numprocesses")) for a in rest) else ["-n", "auto"]
    return subprocess.call([str(bin_ / "python"), "-m", "pytest", *parallel, *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
