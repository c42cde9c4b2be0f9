import pytest
from gallery_testkit import KEY, Clock

from footfall.edge.recognition.audit import AuditLog
from footfall.edge.recognition.store import GalleryStore


@pytest.fixture
def env(tmp_path):
    """(dir, clock, audit log, a function opening the gallery as another process would)."""
    clock = Clock()
    audit = AuditLog(tmp_path / "audit.jsonl", bytes(range(32)), "entrance-1")
    return tmp_path, clock, audit, (lambda: GalleryStore(tmp_path / "gallery.enc", KEY, audit, now=clock))
