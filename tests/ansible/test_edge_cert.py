"""edge_cert: with footfall_pki_dir set, provisioning issues the unit's certificate (CN <site>/<device>, its ACL
entry on the broker) from the fleet CA on the controller, once, and hands it to edge_app."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509

ANSIBLE = Path(__file__).resolve().parents[2] / "ansible"
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.integration


def play(tmp: Path, pki: Path) -> dict:
    inventory = tmp / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"edge": {"hosts": {"door-x": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "footfall_site": "lab", "footfall_pki_dir": str(pki)}}}}}}))
    book = ANSIBLE / f".test-edge-cert-{os.getpid()}.yml"  # beside site.yml, so playbook_dir finds deploy/
    book.write_text(yaml.safe_dump([{"name": "Certificate only", "hosts": "edge", "gather_facts": False,
                                     "roles": ["edge_cert"], "tasks": [{"name": "What edge_app gets",
                                                                         "ansible.builtin.copy": {
                                                                             "content": "{{ edge_app_tls_cert_seen }}",
                                                                             "dest": str(tmp / "handed.crt"), "mode": "0644"},
                                                                         "vars": {"edge_app_tls_cert_seen": "{{ edge_cert_tls_cert }}"}}]}]))
    env = os.environ | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg")}
    try:
        p = subprocess.run([BIN / "ansible-playbook", "-i", str(inventory), str(book)], capture_output=True, text=True,
                           env=env, cwd=ANSIBLE, timeout=300)
    finally:
        book.unlink()
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    return json.loads(p.stdout[p.stdout.index("{"):])["stats"]["door-x"]


def test_a_new_unit_gets_its_certificate_in_one_step_and_only_once(tmp_path):
    pki = tmp_path / "pki"
    subprocess.run([sys.executable, ANSIBLE.parent / "deploy/mosquitto/pki.py", "--dir", pki, "init"], check=True,
                   capture_output=True)
    first = play(tmp_path, pki)
    crt = pki / "devices/lab/door-x.crt"
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=lab/door-x"
    assert (tmp_path / "handed.crt").read_text().strip() == crt.read_text().strip()
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes()))
    assert first["changed"] == 2  # issued, handed over
    again = play(tmp_path, pki)
    assert again["changed"] == 0 and x509.load_pem_x509_certificate(crt.read_bytes()) == cert  # not reissued
