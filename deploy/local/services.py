"""Real mosquitto and influxd for development, the demo and tests (deploy/local).

Installs the Debian packages when missing, runs both unprivileged-style on free loopback ports with every byte of
state under one directory, and stops them cleanly. Each service can be stopped and started again on the same
port, which is how the outage tests take the broker or the database away.
"""
from __future__ import annotations

import fcntl
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

DEBIAN_PACKAGES = {"mosquitto": "mosquitto", "influxd": "influxdb"}
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


class ServiceError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary(name: str) -> str | None:
    return shutil.which(name, path=SBIN_PATH)


def apt_install(*packages: str) -> None:
    """apt-get install Debian packages not installed yet (via sudo when not root).

    Several processes may ask at once (parallel test workers): one installs while the others wait on a lock, and
    apt itself waits for a dpkg lock held by anybody else instead of failing."""
    def missing() -> list[str]:
        return [p for p in packages if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]

    if not missing():
        return
    with open(Path(tempfile.gettempdir()) / "footfall-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        todo = missing()
        if not todo:
            return
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        apt = [*sudo, "apt-get", "-o", "DPkg::Lock::Timeout=600"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"installing Debian packages: {' '.join(todo)}", flush=True)
        subprocess.run([*apt, "update", "-qq"], check=True, env=env, capture_output=True)
        r = subprocess.run([*apt, "install", "-y", "-qq", "--no-install-recommends", *todo], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise ServiceError(f"apt-get install {' '.join(todo)} failed: {r.stderr.strip()[-500:]}")


def ensure_installed(binaries: tuple[str, ...] = tuple(DEBIAN_PACKAGES)) -> None:
    """Install the Debian packages of whichever server binaries are missing."""
    apt_install(*(DEBIAN_PACKAGES[b] for b in binaries if find_binary(b) is None))
    still = [b for b in binaries if find_binary(b) is None]
    if still:
        raise ServiceError(f"cannot find {still} after installing their Debian packages")


@dataclass
class Service:
    """One server process with its config and log under `dir`."""

    name: str
    dir: Path
    port: int
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def config_text(self) -> str:
        raise NotImplementedError

    def argv(self, config: Path) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    @property
    def url(self) -> str:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> None:
        if self.running:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        config = self.dir / f"{self.name}.conf"
        config.write_text(self.config_text())
        log = open(self.dir / f"{self.name}.log", "ab")
        # own session: Ctrl-C in a terminal reaches us, and we stop the servers in order.
        self.proc = subprocess.Popen(self.argv(config), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(f"{self.name} exited with {self.proc.returncode}; see {self.dir / (self.name + '.log')}")
            if self.ready():
                return
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"{self.name} did not answer on port {self.port} within {timeout:.0f} s")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.running else None

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Mosquitto(Service):
    # Extra listener lines (TLS tests add a second listener with certificates).
    extra_conf: str = ""

    def config_text(self) -> str:
        data = self.dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        return "\n".join([
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {data}/",
            # queue enough for a subscriber that is away for minutes of a busy site
            "max_queued_messages 1000000",
            "max_inflight_messages 100",
            "log_dest stdout",
            "log_type error",
            "log_type warning",
            "log_type notice",
            # run as whoever started us, not the 'mosquitto' account, so it can write under dir
            f"user {getpass.getuser()}",
            self.extra_conf,
            "",
        ])

    def argv(self, config: Path) -> list[str]:
        return [find_binary("mosquitto") or "mosquitto", "-c", str(config)]

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


class Influxd(Service):
    rpc_port: int = 0

    def config_text(self) -> str:
        self.rpc_port = self.rpc_port or free_port()
        d = self.dir
        return f"""reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
"""

    def argv(self, config: Path) -> list[str]:
        return [find_binary("influxd") or "influxd", "-config", str(config)]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=0.5) as r:
                return r.status == 204
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class LocalServices:
    """Both servers under `root`; ports are kept in root/services.json so `down` and restarts find them."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        state = self._read_state()
        self.mosquitto = Mosquitto("mosquitto", self.root / "mosquitto", state.get("mosquitto", {}).get("port") or free_port())
        self.influxd = Influxd("influxd", self.root / "influxd", state.get("influxd", {}).get("port") or free_port())

    @property
    def services(self) -> list[Service]:
        return [self.mosquitto, self.influxd]

    @property
    def state_file(self) -> Path:
        return self.root / "services.json"

    def _read_state(self) -> dict:
        try:
            return json.loads((self.root / "services.json").read_text())
        except (OSError, ValueError):
            return {}

    def up(self) -> None:
        ensure_installed()
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            for s in self.services:
                s.start()
        except BaseException:
            self.down()
            raise
        self.state_file.write_text(json.dumps(
            {s.name: {"pid": s.pid, "port": s.port, "url": s.url} for s in self.services}, indent=2))

    def down(self) -> None:
        """Stop what this object started, or (from another process) what services.json records."""
        for s in reversed(self.services):
            if s.proc is not None:
                s.stop()
        for info in self._read_state().values():
            _terminate(info.get("pid"))
        self.state_file.unlink(missing_ok=True)

    def __enter__(self) -> "LocalServices":
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()


def _terminate(pid: int | None, timeout: float = 15.0) -> None:
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
