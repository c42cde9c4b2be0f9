"""Compute models/sface_centre.json: the mean SFace embedding of a face population.

Codes project the *centred* embedding: SFace embeddings share a common direction, which biases the sign bits
(an attacker's majority vote of other people's codes would match ~8% of targets) and wastes code bits. The centre
is an aggregate of many people (no one's template) and is computed from LFW identities only, so the privacy
benchmark can report its figures on identities the centre never saw.

    python bench/make_centre.py --data ../shared/data
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.blazeface import BlazeFace
from footfall.edge.embed.align import align
from footfall.edge.embed.sface import SFace

MODELS = Path(__file__).resolve().parent.parent / "models"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def every_face(folders: list[Path]) -> np.ndarray:
    det, sface = BlazeFace("full_range", 0.6, 24), SFace()
    out = []
    for folder in folders:
        for photo in sorted(folder.iterdir()):
            image = cv2.imread(str(photo))
            if image is not None:
                out += [sface(align(image, kp)) for kp in det(Frame(image, 0, 0, "")).keypoints]
    return np.array(out)


@click.command()
@click.option("--photos", "folders", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=[SHARED / "face_recognition", SHARED / "group"])
def main(folders: tuple[Path, ...]) -> None:
    E = every_face(list(folders))
    centre = E.mean(0)
    out = MODELS / "sface_centre.json"
    out.write_text(json.dumps({"model": "sface_dynint8.tflite",
                               "source": f"{len(E)} faces in {', '.join(f.name for f in folders)} (shared/data)",
                               "centre": [round(float(x), 6) for x in centre]}) + "\n")
    sums = [l for l in (MODELS / "SHA256SUMS").read_text().splitlines() if not l.endswith(out.name)]
    sums.append(f"{hashlib.sha256(out.read_bytes()).hexdigest()}  {out.name}")
    (MODELS / "SHA256SUMS").write_text("\n".join(sorted(sums, key=lambda l: l.split()[1])) + "\n")
    print(f"{out}: |centre| = {np.linalg.norm(centre):.3f} from {len(E)} faces")


if __name__ == "__main__":
    main()
