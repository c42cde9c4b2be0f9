"""Debian bookworm roots made by debootstrap, for applying the edge playbook for real (chroot connection).

An arm64 root runs through qemu-user-static and binfmt_misc: the Pi's architecture and its aarch64 wheels.
Only /proc is mounted inside (never /dev or /sys by bind), so removing a root can never reach the host's files.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

from footfall.devserver.services import ServiceError, apt_install

MIRROR = "http://deb.debian.org/debian"
INCLUDE = "systemd,systemd-sysv,python3,python3-venv,python3-pip,ca-certificates"  # like Raspberry Pi OS Lite, minus the kernel
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
BINFMT = Path("/proc/sys/fs/binfmt_misc")


class Unavailable(Exception):
    """This machine cannot build or enter such a root (not root, no debootstrap, no emulation)."""


def _apt_install(*packages: str) -> None:
    try:
        apt_install(*packages)
    except ServiceError as e:
        raise Unavailable(str(e)) from None


def _enable_emulation(arch: str) -> None:
    if arch == HOST_ARCH:
        return
    _apt_install("qemu-user-static", "binfmt-support")
    if not (BINFMT / "status").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], capture_output=True)
    qemu = {"arm64": "qemu-aarch64"}[arch]
    subprocess.run(["update-binfmts", "--enable", qemu], capture_output=True)
    if not (BINFMT / qemu).exists():
        raise Unavailable(f"binfmt_misc has no {qemu} entry: {arch} binaries cannot run here")


def build_base(directory: Path, arch: str) -> Path:
    """A minimal bookworm root with python3 (about 1 min native, 5 min emulated); kept for later copies."""
    if os.geteuid() != 0:
        raise Unavailable("debootstrap and chroot need root")
    _apt_install("debootstrap")
    _enable_emulation(arch)
    base = directory / f"bookworm-{arch}"
    if (base / ".complete").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    r = subprocess.run(["debootstrap", "--variant=minbase", f"--arch={arch}", f"--include={INCLUDE}", "bookworm",
                        str(base), MIRROR], capture_output=True, text=True)
    if r.returncode != 0:
        raise Unavailable(f"debootstrap {arch} failed: {(r.stdout + r.stderr).strip()[-500:]}")
    (base / ".complete").touch()
    return base


class DebRoot:
    """A writable copy of a base root with /proc mounted, and the host's DNS and local CAs."""

    def __init__(self, base: Path, path: Path):
        self.path = path
        subprocess.run(["cp", "-a", str(base), str(path)], check=True)
        shutil.copy("/etc/resolv.conf", path / "etc/resolv.conf")
        # the host's local CAs (a site's TLS proxy), where update-ca-certificates keeps them, and in today's bundle
        # (running update-ca-certificates itself takes minutes under emulation)
        with open(path / "etc/ssl/certs/ca-certificates.crt", "a") as bundle:
            for ca in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt")):
                shutil.copy(ca, path / "usr/local/share/ca-certificates" / ca.name)
                bundle.write(ca.read_text())
        self.open()

    def open(self) -> None:
        proc = self.path / "proc"
        if os.path.ismount(proc):
            return
        mounted = subprocess.run(["mount", "-t", "proc", "proc", str(proc)], capture_output=True, text=True)
        if mounted.returncode != 0:
            raise Unavailable(f"cannot mount /proc in {self.path}: {mounted.stderr.strip()}")

    def run(self, *argv: str, **kwargs) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        return subprocess.run(["chroot", str(self.path), *argv], capture_output=True, text=True,
                              env=env | kwargs.pop("env", {}), **kwargs)

    def close(self) -> None:
        proc = self.path / "proc"
        if os.path.ismount(proc):
            subprocess.run(["umount", "-l", str(proc)], check=True)

    def remove(self) -> None:
        self.close()
        if os.path.ismount(self.path / "proc"):
            raise RuntimeError(f"{self.path}/proc is still mounted: not removing the root")
        shutil.rmtree(self.path)


class BootedRoot:
    """The root booted with systemd as PID 1 (systemd-nspawn), sharing the host's network: a unit with a live
    service manager, reached by the nsenter connection. Units that would touch the host (sshd on port 22, the
    firewall, the clock) are masked first."""

    MASKED = ("ssh.service", "nftables.service", "chrony.service", "unattended-upgrades.service")

    def __init__(self, root: DebRoot, timeout: float = 90):
        import time

        _apt_install("systemd-container")
        self.root = root
        root.close()  # nspawn mounts its own /proc
        subprocess.run(["systemctl", "--root", str(root.path), "mask", *self.MASKED], capture_output=True, check=True)
        self.proc = subprocess.Popen(["systemd-nspawn", "-D", str(root.path), "--boot", "--register=no", "--keep-unit",
                                      "--quiet", "--console=pipe"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        self.pid = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            self.pid = self.pid or self._init_pid()
            if self.pid and self.run("systemctl", "is-system-running").stdout.strip() in ("running", "degraded"):
                return
            time.sleep(1)
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else "timeout"
        self.stop()
        raise Unavailable(f"systemd-nspawn could not boot {root.path}: {err.strip()[-300:]}")

    def _init_pid(self) -> int | None:
        """The container's systemd: the descendant of systemd-nspawn named systemd (its root is not visible from here)."""
        parents = {}
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit():
                    status = dict(line.split(":\t", 1) for line in (entry / "status").read_text().splitlines() if ":\t" in line)
                    parents[int(entry.name)] = (int(status["PPid"]), status["Name"])
            except (OSError, KeyError, ValueError):
                continue
        for pid, (ppid, name) in parents.items():
            ancestor = ppid
            while name == "systemd" and ancestor > 1:
                if ancestor == self.proc.pid:
                    return pid
                ancestor = parents.get(ancestor, (0, ""))[0]
        return None

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["nsenter", f"--target={self.pid}", "--mount", "--pid", "--uts", "--ipc", "--", *argv],
                              capture_output=True, text=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nspawn asks the container's systemd to power off
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["systemctl", "--root", str(self.root.path), "unmask", *self.MASKED], capture_output=True)
        self.root.open()
