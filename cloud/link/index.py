"""Hamming search over 512-bit visit codes: bit-sampling LSH tables, candidates verified exactly.

Matches of one person sit at ~118 of 512 bits, different people at ~245, with the linking threshold at 172 (a third
of the bits): too far for multi-index hashing to prune. Sampling k bits per table, a pair at distance d collides in
a table with p = (1 - d/512)^k. With k = 7 and 48 tables the index found the same visitor as a linear scan for
98.4% of queries on the shared faces while reading 45% of the codes (tests/cloud/test_link.py). At this radius
LSH's exponent is rho = ln(1/0.66) / ln(1/0.52) = 0.63: the saving grows with the index only if k grows with log N.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from footfall.protocol.contract import CODE_BYTES, MATCH_MAX_DISTANCE


def to_bits(code_hex: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(code_hex), np.uint8))


class CodeIndex:
    def __init__(self, max_distance: int = MATCH_MAX_DISTANCE, tables: int = 48, bits_per_table: int = 7, seed: str = "footfall-link"):
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
        self.positions = [rng.choice(CODE_BYTES * 8, bits_per_table, replace=False) for _ in range(tables)]
        self.weights = 1 << np.arange(bits_per_table)
        self.max_distance = max_distance
        self.tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(tables)]
        self.bits: list[np.ndarray] = []
        self.owners: list[int] = []  # visitor of each stored code
        self.last_candidates = 0

    def __len__(self) -> int:
        return len(self.bits)

    def _keys(self, bits: np.ndarray) -> list[int]:
        return [int(bits[p] @ self.weights) for p in self.positions]

    def add(self, code_hex: str, owner: int) -> None:
        bits = to_bits(code_hex)
        i = len(self.bits)
        self.bits.append(bits)
        self.owners.append(owner)
        for table, key in zip(self.tables, self._keys(bits)):
            table[key].append(i)

    def nearest(self, code_hex: str) -> tuple[int, int] | None:
        """(owner, distance) of the closest stored code within max_distance, or None."""
        bits = to_bits(code_hex)
        candidates = {i for table, key in zip(self.tables, self._keys(bits)) for i in table.get(key, ())}
        self.last_candidates = len(candidates)
        if not candidates:
            return None
        idx = np.fromiter(candidates, int)
        d = (np.stack([self.bits[i] for i in idx]) != bits).sum(1)
        best = int(np.argmin(d))
        return (self.owners[idx[best]], int(d[best])) if d[best] <= self.max_distance else None

    def within(self, code_hex: str) -> list[tuple[int, int]]:
        """(owner, distance) of every stored code within max_distance that shares a table key with this one. Whether
        two codes are found is symmetric (same keys, same distance), so the pairs found over a set of codes, and the
        visitors they join, do not depend on the order the codes were added in."""
        bits = to_bits(code_hex)
        candidates = {i for table, key in zip(self.tables, self._keys(bits)) for i in table.get(key, ())}
        self.last_candidates = len(candidates)
        if not candidates:
            return []
        idx = np.fromiter(candidates, int)
        d = (np.stack([self.bits[i] for i in idx]) != bits).sum(1)
        return [(self.owners[i], int(di)) for i, di in zip(idx, d) if di <= self.max_distance]

    def nearest_exact(self, code_hex: str) -> tuple[int, int] | None:
        """Linear scan, for measuring the index's recall."""
        if not self.bits:
            return None
        d = (np.stack(self.bits) != to_bits(code_hex)).sum(1)
        best = int(np.argmin(d))
        return (self.owners[best], int(d[best])) if d[best] <= self.max_distance else None
