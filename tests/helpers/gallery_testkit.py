"""Shared by the recognition tests: a gallery key, a settable clock, random unit embeddings."""
from datetime import datetime, timezone

import numpy as np

KEY = bytes(range(32)).hex().encode()
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.t = T0

    def __call__(self):
        return self.t


def unit(rng, n=3):
    v = rng.normal(size=(n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)
