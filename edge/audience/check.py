"""The self-check's part for audience insights: the models the config switches on load (hash-checked) and answer."""
from __future__ import annotations

import numpy as np


def check_models(settings) -> list[str]:
    """Run each switched-on model once on a fixed pattern; raise ValueError naming the file if its answer is unusable."""
    done = []
    pattern = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    if settings.age_gender:
        from .faceres import FaceRes

        model = FaceRes(settings.threads)
        r = model(pattern)
        if not (np.isfinite([r.age, r.age_sd, r.p_male]).all() and 0 <= r.p_male <= 1 and 0 <= r.age < 100):
            raise ValueError(f"{model.model_file} answered age {r.age}, P(male) {r.p_male}")
        done.append(model.model_file)
    if settings.reactions:
        from .expression import LABELS, Expression

        model = Expression(settings.threads)
        p = model(pattern[:64, :64, 0])
        if p.shape != (len(LABELS),) or not np.isfinite(p).all():
            raise ValueError(f"{model.model_file} answered {p.shape} with non-finite values")
        done.append(model.model_file)
    return done
