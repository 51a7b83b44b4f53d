"""The shipped systemd units as this machine would install them: the checkout and its virtualenv
in place of /srv/commons, and each unit's [Service] settings and ExecStart command line."""

import shlex
import sys
from pathlib import Path

from core.settings import ROOT

DEPLOY = ROOT / "platform" / "deploy"
UNITS = ("commons-web@.service", "commons-worker@.service")
ENV_FILE = "/etc/commons/commons.env"


def _installed(text: str, env_file: Path) -> str:
    # The virtualenv first: in CI it is ROOT/.venv, here possibly a shared one elsewhere.
    text = text.replace("/srv/commons/.venv", sys.prefix)
    return text.replace("/srv/commons", str(ROOT)).replace(ENV_FILE, str(env_file))


def unit_service(unit: str, *, instance: str | None = None, env_file: Path | None = None):
    """The unit's [Service] keys (the last value of each), with %i expanded when an instance
    is given and the paths of this machine when an environment file is."""
    text = (DEPLOY / unit).read_text()
    if env_file is not None:
        text = _installed(text, env_file)
    if instance is not None:
        text = text.replace("%i", instance)
    service, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            key, _, value = line.partition("=")
            service[key.strip()] = value.strip()
    return service


def install_units(folder: Path, env_file: Path, instances: dict[str, str]) -> list[Path]:
    """Write one instance of each template (e.g. commons-web@8001.service) into `folder`."""
    paths = []
    for unit in UNITS:
        stem = unit.removesuffix(".service")
        path = folder / f"{stem}{instances[stem]}.service"
        path.write_text(_installed((DEPLOY / unit).read_text(), env_file))
        paths.append(path)
    return paths


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd reads them: comments skipped, one layer of quotes removed."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        words = shlex.split(value) if value else [""]
        values[key.strip()] = " ".join(words)
    return values


def exec_start(unit: str, instance: str, env_file: Path) -> list[str]:
    """The unit's ExecStart as the argv systemd would run."""
    return shlex.split(unit_service(unit, instance=instance, env_file=env_file)["ExecStart"])
