"""The shipped systemd units, compose file and Docker nginx file, checked by the tools that read
them: `systemd-analyze verify`, `docker-compose config`, and nginx serving the Docker file."""

import os
import shutil
import subprocess

import httpx
import pytest
import yaml

from core.settings import ROOT
from core.web import static_path
from tests.deploy.stack import NGINX, NGINX_GLOBALS
from tests.deploy.units import DEPLOY, UNITS, install_units, unit_service
from tests.live import free_port


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {name} (apt-get install {package})")
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return path


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = _tool("systemd-analyze", "systemd")
    env_file = tmp_path / "commons.env"
    env_file.write_text((DEPLOY / "commons.env.example").read_text())
    # The units as installed on this machine: the checkout and its virtualenv in place of
    # /srv/commons, one instance of each template (verify needs a real ExecStart binary).
    paths = install_units(tmp_path, env_file, {"commons-web@": "8001", "commons-worker@": "1"})
    result = subprocess.run(
        [analyze, "verify", *map(str, paths)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on an unknown key or an unparsable value and only says so: none allowed.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_units_read_the_example_environment_and_start_the_commons_command(unit):
    service = unit_service(unit)
    assert service["EnvironmentFile"] == "/etc/commons/commons.env"
    assert service["ExecStart"].startswith("/srv/commons/.venv/bin/commons ")
    assert service["User"] == "commons" and service["Restart"] == "always"
    assert "/srv/commons/var" in service["ReadWritePaths"]
    # The CJK font cut (core.fonts) is kept where the service may write, not in a home the
    # system user may lack.
    assert service["Environment"] == "XDG_CACHE_HOME=/srv/commons/var/cache"


def test_compose_file_is_valid_and_runs_the_production_shape(tmp_path):
    compose = _tool("docker-compose", "docker-compose")
    file = DEPLOY / "docker-compose.yml"
    env = {**os.environ, "COMMONS_SECRET_KEY": "k" * 40}
    result = subprocess.run(
        [compose, "-f", str(file), "config"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert {"postgres", "redis", "migrate", "web1", "web2", "worker", "nginx"} <= set(services)
    for name in ("web1", "web2", "worker"):
        service = services[name]
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert service["environment"]["COMMONS_SECRET_KEY"] == "k" * 40
        # Never before the schema is there.
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["commons", "worker"]
    assert services["nginx"]["depends_on"]["web1"]["condition"] == "service_healthy"
    # Without the secret the file refuses to run rather than use the development key.
    refused = subprocess.run(
        [compose, "-f", str(file), "config", "-q"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "COMMONS_SECRET_KEY"},
        timeout=60,
    )
    assert refused.returncode != 0 and "COMMONS_SECRET_KEY" in refused.stderr


def test_docker_build_leaves_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".venv", ".git", "var", "commons.db*"):
        assert path in ignored


def test_docker_nginx_serves_the_shared_locations(tmp_path):
    """nginx.docker.conf as the compose service runs it: commons-locations.conf with @@ROOT@@
    filled in by the service's command; here the static folder is the checkout's, as mounted."""
    if not os.path.exists(NGINX):
        _tool("nginx", "nginx")
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]["nginx"]
    script = compose["command"][-1]
    assert "s#@@ROOT@@#/srv/commons#g" in script and "/etc/nginx/commons-locations.conf" in script
    assert "./commons-locations.conf:/etc/commons/commons-locations.conf:ro" in compose["volumes"]
    assert "../../static:/srv/commons/static:ro" in compose["volumes"]
    locations = (DEPLOY / "commons-locations.conf").read_text().replace("@@ROOT@@", str(ROOT))
    (tmp_path / "commons-locations.conf").write_text(locations)
    port = free_port()
    # The services' names become a closed loopback port: only nginx's own files are served.
    text = (DEPLOY / "nginx.docker.conf").read_text()
    text = text.replace("web1:8000", "127.0.0.1:9").replace("web2:8000", "127.0.0.1:9")
    text = text.replace(
        "/etc/nginx/commons-locations.conf", str(tmp_path / "commons-locations.conf")
    )
    text = text.replace("/var/cache/nginx/commons", str(tmp_path / "cache"))
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    settings = [line for line in (text + locations).splitlines() if line.strip()[:1] != "#"]
    assert not any("@@" in line for line in settings), "a placeholder left unfilled"
    (tmp_path / "default.conf").write_text(text)
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n"
        f" client_body_temp_path {tmp_path}/body;\n proxy_temp_path {tmp_path}/proxy;\n"
        f" include {tmp_path}/default.conf;\n}}\n"
    )
    command = [NGINX, "-c", str(config), "-p", str(tmp_path), "-g", NGINX_GLOBALS]
    check = subprocess.run([NGINX, "-t", *command[1:]], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    subprocess.run(command, check=True, timeout=30)
    try:
        static = httpx.get(
            f"http://127.0.0.1:{port}{static_path('css/app.css')}",
            headers={"Accept-Encoding": "gzip"},
            timeout=10,
        )
        assert static.status_code == 200
        assert static.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert static.headers["x-content-type-options"] == "nosniff"
        assert static.headers["content-encoding"] == "gzip"
        # No web worker behind it: nginx says so itself.
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 502
    finally:
        subprocess.run([*command[:-2], "-s", "stop"], timeout=30)
