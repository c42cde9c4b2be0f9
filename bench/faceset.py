"""Identity-labelled face photos -> SFace embeddings, through the edge's own detector and alignment.

Embeddings stay in memory: benchmarks follow the same rule as the product and never write one to disk.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.blazeface import BlazeFace
from footfall.edge.embed.align import align
from footfall.edge.embed.sface import SFace
from footfall.edge.recognition.photos import SUFFIXES, padded

def embed_identity_folders(roots: list[Path]) -> tuple[list[str], np.ndarray, int]:
    """(identity label per face, (N, 128) embeddings, photos without a face). Labels are prefixed by the set."""
    det = BlazeFace("full_range", min_confidence=0.5, min_face_px=16)
    sface = SFace()
    labels, vectors, missed = [], [], 0
    for root in roots:
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for photo in sorted(folder.iterdir()):
                if photo.suffix.lower() not in SUFFIXES:
                    continue
                image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
                if image is None:
                    continue
                image = padded(image)
                d = det(Frame(image, 0, 0, ""))
                if not len(d):
                    missed += 1
                    continue
                best = int(np.argmax((d.boxes[:, 2] - d.boxes[:, 0]) * d.scores))
                labels.append(f"{root.name}/{folder.name}")
                vectors.append(sface(align(image, d.keypoints[best])))
    return labels, np.array(vectors, np.float32), missed


def pairs(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j): genuine (same identity) and impostor."""
    lab = np.array(labels)
    i, j = np.triu_indices(len(lab), k=1)
    same = lab[i] == lab[j]
    return np.stack([i[same], j[same]], 1), np.stack([i[~same], j[~same]], 1)
