"""Debian bookworm roots made by debootstrap, for applying the edge playbook for real (chroot connection).

An arm64 root runs through qemu-user-static and binfmt_misc: the Pi's architecture and its aarch64 wheels.
An Ubuntu jammy root is JetPack 6's userland (Python 3.10): the oldest Python the edge supports.
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
    return _debootstrap(directory, arch, "bookworm", MIRROR)


def _debootstrap(directory: Path, arch: str, suite: str, mirror: str, *options: str) -> Path:
    if os.geteuid() != 0:
        raise Unavailable("debootstrap and chroot need root")
    _apt_install("debootstrap")
    _enable_emulation(arch)
    base = directory / f"{suite}-{arch}"
    if (base / ".complete").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    r = subprocess.run(["debootstrap", "--variant=minbase", f"--arch={arch}", f"--include={INCLUDE}", *options, suite,
                        str(base), mirror], capture_output=True, text=True)
    if r.returncode != 0:
        raise Unavailable(f"debootstrap {suite} {arch} failed: {(r.stdout + r.stderr).strip()[-500:]}")
    (base / ".complete").touch()
    return base


# Ubuntu 22.04 (jammy) is what JetPack 6 runs on; Debian has no Ubuntu keyring package, so the keyring's .deb comes
# from the archive's pool, pinned here (its 2018 archive key is F6ECB3762474EDA9D21B7022871920D1991BC93C).
UBUNTU_MIRRORS = {"amd64": "http://archive.ubuntu.com/ubuntu", "arm64": "http://ports.ubuntu.com/ubuntu-ports"}
UBUNTU_KEYRING_DEB = "pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb"
UBUNTU_KEYRING_SHA256 = "0d0e7ed6b112f5d03eabf3c7eb01ebdacf9c57714b279e90495cfc58c8c4520f"


def _ubuntu_keyring(directory: Path, mirror: str) -> Path:
    import hashlib
    import urllib.request

    keyring = directory / "ubuntu-keyring" / "usr/share/keyrings/ubuntu-archive-keyring.gpg"
    if keyring.exists():
        return keyring
    try:
        with urllib.request.urlopen(f"{mirror}/{UBUNTU_KEYRING_DEB}", timeout=60) as r:
            deb = r.read()
    except OSError as e:
        raise Unavailable(f"the Ubuntu archive cannot be reached: {e}") from None
    if hashlib.sha256(deb).hexdigest() != UBUNTU_KEYRING_SHA256:
        raise Unavailable(f"{UBUNTU_KEYRING_DEB} does not match its pinned sha256")
    (directory / "ubuntu-keyring.deb").write_bytes(deb)
    subprocess.run(["dpkg-deb", "-x", str(directory / "ubuntu-keyring.deb"), str(directory / "ubuntu-keyring")], check=True)
    return keyring


def build_ubuntu_base(directory: Path, arch: str, suite: str = "jammy") -> Path:
    """A minimal Ubuntu root with its python3 (jammy: 3.10, JetPack 6's), about 1 min native; kept for later copies."""
    mirror = UBUNTU_MIRRORS[arch]
    return _debootstrap(directory, arch, suite, mirror, "--components=main,universe",  # python3-pip is in universe
                        f"--keyring={_ubuntu_keyring(directory, mirror)}")


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
