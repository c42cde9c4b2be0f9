"""A throwaway fleet for the playbooks: an inventory of chroot hosts, a vault, a PKI, and ansible-playbook runs."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from filelock import FileLock
from pki import Ca

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE = ROOT / "ansible"
BIN = Path(sys.executable).parent
PIP_ENV = {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}


def wheel_build_lock() -> FileLock:
    """One wheel build at a time in the project tree, across test processes."""
    (ROOT / "build").mkdir(exist_ok=True)
    return FileLock(str(ROOT / "build" / "wheel.lock"))


def build_wheel(out: Path, version: str | None = None) -> Path:
    """The project's wheel; with `version`, a copy of the project renumbered (a new release for update tests)."""
    src = ROOT
    if version:
        src = out / "src"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv*", "out", "build", "dist", "tests", "*.egg-info"))
        pyproject = src / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', f'version = "{version}"', 1))
    with wheel_build_lock():  # parallel workers would share the tree's build/ and egg-info
        subprocess.run([BIN / "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)], check=True,
                       capture_output=True, env={**os.environ, "FOOTFALL_TARGET": "edge"})  # what `make wheel` ships
    return next(out.glob("footfall-*.whl"))


@dataclass
class PlayResult:
    rc: int
    stats: dict
    failures: list[str]
    output: dict

    def changed(self, host: str) -> int:
        return self.stats[host]["changed"]

    def changed_tasks(self, host: str) -> list[str]:
        return [t["task"]["name"] for p in self.output.get("plays", []) for t in p["tasks"]
                if t["hosts"].get(host, {}).get("changed")]


class Lab:
    """hosts: name -> (chroot path, host vars). Site `lab`, privacy level site, mutual TLS to 127.0.0.1."""

    def __init__(self, directory: Path, hosts: dict[str, tuple[Path, dict]]):
        self.dir = directory
        inv = directory / "inventory"
        (inv / "group_vars/edge").mkdir(parents=True)
        ca = Ca(directory / "pki", "fleet-ca")
        host_entries = {}
        vault = {"vault_site_secret": secrets.token_hex(32)}
        for name, (path, extra) in hosts.items():
            cert, key = ca.issue(name)
            host_entries[name] = {"ansible_connection": "community.general.chroot", "ansible_host": str(path),
                                  "ansible_python_interpreter": "/usr/bin/python3", "ansible_become": False,
                                  "footfall_tls_cert": cert.read_text(), "footfall_tls_key": f"{{{{ vault_keys['{name}'] }}}}"} | extra
            vault.setdefault("vault_keys", {})[name] = key.read_text()
        (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"edge": {"hosts": host_entries}}}}))
        (inv / "group_vars/edge/main.yml").write_text(yaml.safe_dump({
            "footfall_site": "lab", "footfall_timezone": "Europe/Berlin",
            "footfall_privacy": {"level": "site", "jurisdiction": "eu"},
            "footfall_site_secret": "{{ vault_site_secret }}",
            "footfall_mqtt_host": "127.0.0.1", "footfall_mqtt_port": 8883, "footfall_tls_ca": ca.crt.read_text(),
            "footfall_lines": [{"id": "door", "a": [0.0, 0.45], "b": [1.0, 0.45]}],
            "edge_app_check_live": False,  # no camera and no broker in the lab: `check --offline`
            "edge_base_admins": [{"name": "installer", "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxhYmxhYmxhYmxhYmxhYmxhYmxhYmxhYmxhYmxhYmxh installer@lab"]}],
            "edge_base_ssh_allow_from": ["10.0.0.0/8", "fd00::/8"],
            "edge_base_ntp_servers": ["ntp.lab.example"],
            # the unit's pip reaches PyPI the way this machine's does (a proxy or a mirror, if any)
            "edge_app_pip_environment": {k: v for k, v in os.environ.items() if k in PIP_ENV},
        }))
        self.vault_password = directory / "vault-password"
        self.vault_password.write_text(secrets.token_hex(16))
        plain = inv / "group_vars/edge/vault.yml"
        plain.write_text(yaml.safe_dump(vault))
        subprocess.run([BIN / "ansible-vault", "encrypt", "--vault-password-file", str(self.vault_password), str(plain)],
                       check=True, capture_output=True)
        self.inventory = inv / "hosts.yml"
        self.site_secret = vault["vault_site_secret"]

    def connect(self, host: str, **connection) -> None:
        """Reach `host` another way (e.g. the nsenter connection into a booted root)."""
        inventory = yaml.safe_load(self.inventory.read_text())
        inventory["all"]["children"]["edge"]["hosts"][host].update(connection)
        self.inventory.write_text(yaml.safe_dump(inventory))

    def play(self, playbook: str, *args: str, check: bool = False, timeout: int = 3600) -> PlayResult:
        env = os.environ | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
                            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(self.dir / "ansible-tmp")}
        argv = [BIN / "ansible-playbook", "-i", str(self.inventory), "--vault-password-file", str(self.vault_password),
                str(ANSIBLE / playbook), *args] + (["--check", "--diff"] if check else [])
        p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ANSIBLE, timeout=timeout)
        try:
            out = json.loads(p.stdout[p.stdout.index("{"):])
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON (rc {p.returncode}): {p.stdout[-2000:]} {p.stderr[-2000:]}") from None
        failures = [f"{host}: {t['task']['name']}: {r.get('msg', '')} {r.get('stderr', '')}".strip()
                    for play in out.get("plays", []) for t in play["tasks"] for host, r in t["hosts"].items()
                    if r.get("failed") and not r.get("ignore_errors")]
        return PlayResult(p.returncode, out.get("stats", {}), failures, out)
