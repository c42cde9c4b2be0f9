"""Anonymous visitor codes: a keyed locality-sensitive hash of the face embedding.

code = sign bits of R @ (e - c), where e is the L2-normalised embedding, c the population centre of the model's
embeddings (models/sface_centre.json) and R stacks random orthogonal matrices drawn from a generator seeded by the
period key. Close embeddings give codes at a small Hamming distance; without the key the projection is unknown, and
a new key (period or site secret) gives an unrelated projection. Centring removes the direction all faces share,
which would otherwise bias the bits (see docs/privacy.md).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from footfall.edge.models import verified_path
from footfall.protocol.contract import CODE_BITS

CENTRE_FILE = "sface_centre.json"


@lru_cache(maxsize=1)
def embedding_centre() -> np.ndarray:
    return np.array(json.loads(verified_path(CENTRE_FILE).read_text())["centre"], np.float32)


MIN_SECRET_BYTES = 16  # 128 bits: HKDF accepts anything, but a short secret makes every code guessable


def period_key(site_secret: bytes, site: str, period: str) -> bytes:
    """HKDF-SHA256(site secret; salt = site id; info = period id). Made on the device; the cloud never has it."""
    if len(site_secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the site secret must be at least {MIN_SECRET_BYTES} bytes")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=site.encode(), info=b"footfall-code/" + period.encode()).derive(site_secret)


def projection(key: bytes, dim: int, bits: int = CODE_BITS) -> np.ndarray:
    """(bits, dim) matrix of stacked random orthogonal blocks, determined by the key alone."""
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(hashlib.sha256(b"projection" + key).digest(), "big")))
    blocks = []
    for _ in range(-(-bits // dim)):
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        blocks.append(q * np.sign(np.diag(r)))  # sign fix makes Q Haar-distributed
    return np.vstack(blocks)[:bits].astype(np.float32)


class Coder:
    def __init__(self, key: bytes, dim: int = 128, bits: int = CODE_BITS, centre: np.ndarray | None = None):
        self.matrix = projection(key, dim, bits)
        self.centre = embedding_centre() if centre is None else centre

    def bits(self, embeddings: np.ndarray) -> np.ndarray:
        """Sign bits for one embedding (dim,) or a batch (n, dim)."""
        return ((embeddings - self.centre) @ self.matrix.T) > 0

    def code(self, embedding: np.ndarray) -> str:
        return np.packbits(self.bits(embedding)).tobytes().hex()


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
