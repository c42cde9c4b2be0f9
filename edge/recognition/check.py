"""`footfall-edge check`'s recognition line: the key opens the gallery; what it holds, per list (never a face)."""
from __future__ import annotations

from collections import Counter

from footfall.edge.config import EdgeConfig
from footfall.protocol.configfile import SecretError

from .store import GalleryError


def gallery_check(cfg: EdgeConfig) -> str:
    if cfg.recognition is None:
        return "off"
    from .recognizer import open_gallery

    try:
        store, _ = open_gallery(cfg)
    except (SecretError, RuntimeError, GalleryError) as e:
        raise ValueError(f"recognition: {e}") from None
    per_list = Counter(e.list for e in store.entries.values())
    lists = ", ".join(f"{n} {per_list.get(n, 0)}" for n in cfg.recognition.lists)
    return f"gallery opens; entries: {lists}"
