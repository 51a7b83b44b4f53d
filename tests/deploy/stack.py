"""The production shape on this machine, started from the shipped files as an operator would:
commons.env.example filled in, `commons db upgrade` and `demo`, two web workers and two job
workers from the systemd units' ExecStart lines, and Debian's nginx from nginx.conf in front."""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import ROOT
from tests.deploy.units import DEPLOY, exec_start, read_environment_file, unit_service
from tests.live import free_port, wait_ready

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Started by root (as in CI), nginx's workers would run as nobody, who cannot enter pytest's
# private temporary folder; in production the run directory belongs to nginx's user.
NGINX_GLOBALS = "daemon on;" + (" user root;" if os.geteuid() == 0 else "")


@dataclass
class Stack:
    base: str  # nginx
    webs: list[str]
    folder: Path
    env_file: Path
    mail_dir: Path
    metrics_token: str
    environment: dict[str, str]
    workers: list[subprocess.Popen] = field(default_factory=list)


def _redis_url() -> str:
    # The example names Redis for the login throttle; without a local server, memory.
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/13"
    except OSError:
        return "memory://"


def write_environment(folder: Path, url: str) -> tuple[Path, str]:
    """commons.env.example with every CHANGE filled in for this machine."""
    token = secrets.token_urlsafe(16)
    values = {
        "DATABASE_URL": url,
        "COMMONS_SECRET_KEY": secrets.token_urlsafe(32),
        "COMMONS_ALLOWED_HOSTS": """'["127.0.0.1", "localhost"]'""",
        "COMMONS_METRICS_TOKEN": token,
        "COMMONS_RATE_LIMIT_STORAGE": _redis_url(),
        "COMMONS_MAIL_DIR": str(folder / "mail"),
        "COMMONS_UPLOAD_DIR": str(folder / "uploads"),
    }
    lines = []
    for line in (DEPLOY / "commons.env.example").read_text().splitlines():
        key = line.partition("=")[0]
        if not line.startswith("#") and key in values:
            line = f"{key}={values.pop(key)}"
        assert line.startswith("#") or "CHANGE" not in line, line
        lines.append(line)
    assert not values, f"commons.env.example no longer sets {sorted(values)}"
    path = folder / "commons.env"
    path.write_text("\n".join(lines) + "\n")
    return path, token


def unit_environment(env_file: Path) -> dict[str, str]:
    """What a unit's process sees: systemd's few variables plus the EnvironmentFile."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        # The checkout under test before any installed copy of it (the venv may be shared).
        "PYTHONPATH": str(ROOT),
        # No internet in tests: map tiles point at a closed port.
        "COMMONS_TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
        **read_environment_file(env_file),
    }


def _commons(env: dict[str, str], env_file: Path, *args: str) -> None:
    binary = exec_start("commons-worker@.service", "1", env_file)[0]
    subprocess.run([binary, *args], env=env, cwd=ROOT, check=True, capture_output=True)


def _start(unit: str, instance: str, env: dict, env_file: Path, folder: Path):
    service = unit_service(unit, instance=instance, env_file=env_file)
    # The journal of this machine: the unit's output, for reading when a test fails.
    with open(folder / f"{unit.removesuffix('.service')}{instance}.log", "wb") as log:
        return subprocess.Popen(
            exec_start(unit, instance, env_file),
            env=env,
            cwd=service["WorkingDirectory"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen, unit: str) -> int:
    """SIGTERM as `systemctl stop` sends it; the unit's TimeoutStopSec is the limit."""
    seconds = float(unit_service(unit)["TimeoutStopSec"])
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"{unit} did not stop within TimeoutStopSec={seconds:g}") from None


def _nginx_config(folder: Path, port: int, webs: list[str]) -> Path:
    values = {
        "@@RUN_DIR@@": str(folder),
        "@@CONF_DIR@@": str(folder),
        "@@ROOT@@": str(ROOT),
        "@@LISTEN@@": f"127.0.0.1:{port}",
        "@@UPSTREAMS@@": " ".join(f"server {b.removeprefix('http://')};" for b in webs),
    }
    for name in ("nginx.conf", "commons-locations.conf"):
        text = (DEPLOY / name).read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        assert not re.search("@@[A-Z_]+@@", text), name
        (folder / name).write_text(text)
    return folder / "nginx.conf"


@contextmanager
def production_stack(url: str, folder: Path, *, webs: int = 2, workers: int = 2):
    """Yields a Stack; on leaving, every unit is stopped as systemd would and must exit 0."""
    (folder / "nginx").mkdir()
    env_file, token = write_environment(folder, url)
    env = unit_environment(env_file)
    _commons(env, env_file, "db", "upgrade")
    _commons(env, env_file, "demo", "--locale", "en")  # the tests find its English names
    processes: list[tuple[str, subprocess.Popen]] = []
    config = None
    try:
        ports = [free_port() for _ in range(webs)]
        for port in ports:
            unit = "commons-web@.service"
            processes.append((unit, _start(unit, str(port), env, env_file, folder)))
        for number in range(1, workers + 1):
            unit = "commons-worker@.service"
            processes.append((unit, _start(unit, str(number), env, env_file, folder)))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, (_, process) in zip(bases, processes, strict=False):
            # Generous: four processes import the app at once on a machine of two cores.
            wait_ready(base, process, seconds=300)
        port = free_port()
        config = _nginx_config(folder / "nginx", port, bases)
        run_dir = str(folder / "nginx")
        check = subprocess.run(
            [NGINX, "-t", "-c", str(config), "-p", run_dir, "-g", NGINX_GLOBALS],
            capture_output=True,
        )
        assert check.returncode == 0, check.stderr.decode()
        subprocess.run(
            [NGINX, "-c", str(config), "-p", run_dir, "-g", NGINX_GLOBALS], check=True, timeout=30
        )
        yield Stack(
            base=f"http://127.0.0.1:{port}",
            webs=bases,
            folder=folder,
            env_file=env_file,
            mail_dir=Path(env["COMMONS_MAIL_DIR"]),
            metrics_token=token,
            environment=env,
            workers=[p for unit, p in processes if unit.startswith("commons-worker")],
        )
    finally:
        if config is not None:
            subprocess.run(
                [NGINX, "-c", str(config), "-p", str(folder / "nginx"), "-s", "stop"], timeout=30
            )
        codes = {}
        for index, (unit, process) in enumerate(processes):
            codes[f"{unit} #{index}"] = stop(process, unit)
    # Clean as systemd counts it: 0, or death by the SIGTERM it sent (uvicorn re-raises it
    # after its graceful shutdown).
    unclean = {name: code for name, code in codes.items() if code not in (0, -signal.SIGTERM)}
    assert not unclean, f"units that did not exit 0 on SIGTERM: {unclean}"
