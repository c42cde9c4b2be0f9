#!/usr/bin/env python3
"""The fleet's certificate authority for the broker's mutual TLS: CA, broker, aggregator and device certificates,
revocation list. Runs on the controller with any Python that has `cryptography` (Ansible's own does).

    pki.py --dir PKI init                       CA (10 years) and an empty CRL
    pki.py --dir PKI server broker.example.com  the broker's certificate (DNS names / IPs as SANs)
    pki.py --dir PKI aggregator footfall-cloud  an ingest instance (ACL: reads footfall/v1/#)
    pki.py --dir PKI device mall-west entrance-1   a unit: CN "mall-west/entrance-1", which *is* its ACL entry
    pki.py --dir PKI revoke mall-west/entrance-1   a stolen unit: revoked, CRL rewritten (push it to the broker)
    pki.py --dir PKI crl                        rewrite the CRL (it is valid for CRL_DAYS; the cloud playbook
                                                renews it when less than half of that is left)

The broker takes the certificate's CN as the MQTT username (use_identity_as_username) and the ACL pattern
`footfall/v1/%u/+` lets a device publish only below footfall/v1/<site>/<device>/, so issuing the certificate is the
whole of enrolling a unit. Issuing is idempotent: an existing certificate is left alone (--renew replaces it).
Keys are EC P-256, written 0600; PKI/ca.key must stay on the controller (or offline).
"""
from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import re
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 825
CRL_DAYS = 365
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # as protocol.configfile.Id: what a topic level may hold


class PkiError(Exception):
    pass


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _check_id(what: str, value: str) -> str:
    if not ID.match(value):
        raise PkiError(f"{what} {value!r}: must match {ID.pattern} (it becomes a topic level)")
    return value


class Pki:
    def __init__(self, directory: str | Path):
        self.dir = Path(directory)

    # -- files ---------------------------------------------------------------------------------------------------
    @property
    def ca_crt(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def crl(self) -> Path:
        return self.dir / "crl.pem"

    @property
    def index_file(self) -> Path:
        return self.dir / "index.json"

    def _index(self) -> dict:
        return json.loads(self.index_file.read_text()) if self.index_file.exists() else {"issued": [], "revoked": []}

    def _save_index(self, index: dict) -> None:
        self.index_file.write_text(json.dumps(index, indent=2) + "\n")

    def _ca(self):
        try:
            key = serialization.load_pem_private_key((self.dir / "ca.key").read_bytes(), None)
            return key, x509.load_pem_x509_certificate(self.ca_crt.read_bytes())
        except FileNotFoundError:
            raise PkiError(f"no CA in {self.dir}: run `pki.py --dir {self.dir} init` first") from None

    @staticmethod
    def _write_key(path: Path, key) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))

    # -- operations ----------------------------------------------------------------------------------------------
    def init(self, name: str = "Footfall fleet CA") -> Path:
        if self.ca_crt.exists():
            return self.ca_crt
        self.dir.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        self._write_key(self.dir / "ca.key", key)
        self.ca_crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.write_crl()
        return self.ca_crt

    def _issue(self, path: Path, cn: str, kind: str, sans: list[x509.GeneralName], renew: bool) -> tuple[Path, Path]:
        crt, key_path = path.parent / f"{path.name}.crt", path.parent / f"{path.name}.key"  # names hold dots
        if crt.exists() and key_path.exists() and not renew:
            return crt, key_path
        ca_key, ca = self._ca()
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        usage = ExtendedKeyUsageOID.SERVER_AUTH if kind == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
        b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = b.sign(ca_key, hashes.SHA256())
        self._write_key(key_path, key)
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        index = self._index()
        index["issued"].append({"cn": cn, "kind": kind, "serial": format(cert.serial_number, "x"),
                                "not_after": cert.not_valid_after_utc.isoformat()})
        self._save_index(index)
        return crt, key_path

    def server(self, names: list[str], renew: bool = False) -> tuple[Path, Path]:
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        return self._issue(self.dir / "server" / names[0], names[0], "server", sans, renew)

    def aggregator(self, name: str, renew: bool = False) -> tuple[Path, Path]:
        return self._issue(self.dir / "aggregators" / _check_id("aggregator", name), name, "aggregator", [], renew)

    def device(self, site: str, device: str, renew: bool = False) -> tuple[Path, Path]:
        _check_id("site", site), _check_id("device", device)
        return self._issue(self.dir / "devices" / site / device, f"{site}/{device}", "device", [], renew)

    def revoke(self, cn: str) -> list[str]:
        """Revoke every certificate ever issued to `cn` (a renewed unit has several); returns their serials."""
        index = self._index()
        serials = [c["serial"] for c in index["issued"] if c["cn"] == cn]
        if not serials:
            raise PkiError(f"no certificate was issued to {cn!r} by {self.dir}")
        known = {r["serial"] for r in index["revoked"]}
        index["revoked"] += [{"cn": cn, "serial": s, "at": _now().isoformat()} for s in serials if s not in known]
        self._save_index(index)
        self.write_crl()
        return serials

    def write_crl(self, days: int = CRL_DAYS) -> Path:
        ca_key, ca = self._ca()
        now = _now()
        b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now - datetime.timedelta(minutes=5))
             .next_update(now + datetime.timedelta(days=days)))
        for r in self._index()["revoked"]:
            b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(int(r["serial"], 16))
                                          .revocation_date(datetime.datetime.fromisoformat(r["at"])).build())
        self.crl.write_bytes(b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        return self.crl

    def crl_days_left(self) -> float:
        crl = x509.load_pem_x509_crl(self.crl.read_bytes())
        return (crl.next_update_utc - _now()).total_seconds() / 86400


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", required=True, help="the PKI directory (ca.key lives here: keep it on the controller)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("init")
    s = sub.add_parser("server")
    s.add_argument("names", nargs="+", help="DNS names or IPs of the broker; the first is the CN")
    s.add_argument("--renew", action="store_true")
    a = sub.add_parser("aggregator")
    a.add_argument("name")
    a.add_argument("--renew", action="store_true")
    d = sub.add_parser("device")
    d.add_argument("site")
    d.add_argument("device")
    d.add_argument("--renew", action="store_true")
    r = sub.add_parser("revoke")
    r.add_argument("cn", help="site/device, or an aggregator name")
    c = sub.add_parser("crl")
    c.add_argument("--if-under-days", type=float, default=None, help="only if fewer days than this are left")
    args = p.parse_args(argv)
    pki = Pki(args.dir)
    try:
        if args.cmd == "init":
            print(pki.init())
        elif args.cmd == "server":
            print(*pki.server(args.names, args.renew))
        elif args.cmd == "aggregator":
            print(*pki.aggregator(args.name, args.renew))
        elif args.cmd == "device":
            print(*pki.device(args.site, args.device, args.renew))
        elif args.cmd == "revoke":
            print(f"revoked {args.cn}: serials {', '.join(pki.revoke(args.cn))}; now push {pki.crl} to the broker "
                  f"(ansible-playbook cloud.yml --tags crl)")
        elif args.cmd == "crl":
            if args.if_under_days is None or pki.crl_days_left() < args.if_under_days:
                print(pki.write_crl())
    except PkiError as e:
        print(f"pki: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
