"""Check the built wheel as someone who installs it would use it.

Builds the wheel, installs it into a fresh virtual environment in a temporary
folder outside the source tree, and there runs ``postal-tracker migrate`` and
``postal-tracker demo-data`` on a new SQLite file, starts the installed app
under gunicorn and checks that it serves the login page, and that a logged-in
user gets a slip's PDF (which needs the label layouts and the fonts).

Run by ``make check-wheel`` and by CI. Standard library only: it runs with
the development environment's Python, and everything it checks runs with the
fresh environment's.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_LOGIN = ("quantri", "demo-pass-2026")  # the demo's administrator (postal_tracker/demo.py)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    started = time.monotonic()
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"check-wheel: {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    if os.environ.get("CHECK_WHEEL_TIMES"):
        print(f"  {time.monotonic() - started:5.1f} s  {' '.join(map(str, args))[:90]}")
    return done.stdout


def build_wheel(out: Path) -> Path:
    catalogues = list((ROOT / "postal_tracker" / "translations").glob("*/LC_MESSAGES/*.mo"))
    if not catalogues:
        sys.exit("check-wheel: no compiled catalogues; run `make translations` first.")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", out, ROOT, cwd=out)
    (wheel,) = out.glob("postal_tracker-*.whl")
    return wheel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"check-wheel: the installed app stopped (exit {server.returncode}).")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"check-wheel: {url} did not answer within {seconds:.0f} s.")


def check_pages(base: str) -> None:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login", timeout=10) as page:
        html = page.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if page.status != 200 or 'name="password"' not in html or token is None:
        sys.exit("check-wheel: /login is not the login page.")
    print("check-wheel: the installed app serves the login page")

    form = {"csrf_token": token[1], "username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
    body = urllib.parse.urlencode(form).encode()
    with opener.open(f"{base}/login", data=body, timeout=10) as page:
        if urllib.parse.urlsplit(page.url).path == "/login":
            sys.exit("check-wheel: the demo administrator could not log in.")
    with opener.open(f"{base}/slips/1.pdf", timeout=30) as slip:
        pdf = slip.read()
    if slip.headers.get_content_type() != "application/pdf" or not pdf.startswith(b"%PDF-"):
        sys.exit("check-wheel: /slips/1.pdf is not a PDF.")
    print(f"check-wheel: a slip renders from the installed package ({len(pdf)} bytes of PDF)")


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="postal-tracker-wheel-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work)
        print(f"check-wheel: built {wheel.name}")
        # The development environment's pip installs into the new environment
        # (``--python``): the same resolver, and no pip to bootstrap there.
        venv.create(work / "venv", with_pip=False)
        bin_dir = work / "venv" / "bin"
        pip = (sys.executable, "-m", "pip", "--python", bin_dir / "python")
        run(*pip, "install", "--quiet", "--no-compile", wheel, cwd=work)

        # Nothing from the source tree: a clean environment, run from the temporary folder.
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("POSTAL_TRACKER_", "PYTHON"))
        }
        env |= {
            "POSTAL_TRACKER_ENV": "development",
            "POSTAL_TRACKER_INSTANCE_PATH": str(work / "instance"),
            "POSTAL_TRACKER_DATABASE_URL": f"sqlite:///{work / 'check.sqlite3'}",
        }
        where = run(
            bin_dir / "python",
            "-c",
            "import postal_tracker; print(postal_tracker.__file__)",
            cwd=work,
            env=env,
        ).strip()
        if not where.startswith(str(work / "venv")):
            sys.exit(f"check-wheel: postal_tracker was imported from {where}, not the wheel.")

        run(bin_dir / "postal-tracker", "migrate", cwd=work, env=env)
        run(bin_dir / "postal-tracker", "demo-data", cwd=work, env=env)
        print("check-wheel: migrate and demo-data ran on a new SQLite file")

        port = free_port()
        server = subprocess.Popen(
            [bin_dir / "gunicorn", "-b", f"127.0.0.1:{port}", "postal_tracker.app:create_app()"],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/login", server)
            check_pages(base)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"check-wheel: passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
