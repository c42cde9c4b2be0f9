"""Biometric metrics used by the privacy benchmark and tests."""
from __future__ import annotations

import numpy as np


def threshold_at_far(impostor: np.ndarray, far: float) -> float:
    """Smallest score threshold (accept when score >= t) whose false-accept rate is at most `far`."""
    s = np.sort(impostor)[::-1]
    k = int(np.floor(far * len(s)))  # at most k impostors may be accepted
    return float(np.nextafter(s[k], np.inf)) if k < len(s) else float(s[-1])


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> tuple[float, float]:
    """(true-accept rate, threshold) at the given false-accept rate; higher scores mean more similar."""
    t = threshold_at_far(impostor, far)
    return float((genuine >= t).mean()), t


def d_sys(mated: np.ndarray, non_mated: np.ndarray, bins: int | None = None, omega: float = 1.0) -> float:
    """Global unlinkability D<->sys of Gomez-Barrero et al. (IEEE TIFS 2018), 0 = fully unlinkable, 1 = linkable.

    Scores compare templates of the same subject (mated) or of different subjects (non-mated) made with
    different keys. LR(s) = p(s|mated) / p(s|non-mated); D<->(s) = max(0, 2 * omega*LR / (1 + omega*LR) - 1);
    D<->sys = integral of p(s|mated) D<->(s). Histograms use min(n_mated / 10, 100) bins, as the authors' reference
    implementation does: finer bins with few samples bias the estimate upwards.
    """
    lo = min(mated.min(), non_mated.min())
    hi = max(mated.max(), non_mated.max())
    bins = bins or int(max(10, min(len(mated) / 10, 100)))
    edges = np.linspace(lo, hi + 1e-9, bins + 1)
    pm, _ = np.histogram(mated, edges)
    pn, _ = np.histogram(non_mated, edges)
    pm = pm / pm.sum()
    pn = pn / pn.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.where(pn > 0, pm / pn, np.inf)
        d = np.where(np.isinf(lr), 1.0, np.clip(2 * omega * lr / (1 + omega * lr) - 1, 0, None))
    return float((pm * d).sum())
