"""One interval's audience counts -> the counts message's `audience` and `reactions` fields."""
from __future__ import annotations

from footfall.protocol.messages import AudienceCounts, ReactionCount


def audience_fields(observer, interval_start: float, settings, displays: list[str]) -> dict:
    """Zeros are sent for every band of a switched-on estimate, so the cloud tells "nobody" from "not measured"."""
    from .bands import AGE_BANDS, GENDERS, REACTIONS

    iv = observer.pop_interval(interval_start)
    out: dict = {}
    if settings.age_gender:
        age = {b: iv.age[b] if iv else 0 for b in (*AGE_BANDS, "unknown")}
        gender = {g: iv.gender[g] if iv else 0 for g in GENDERS}
        out["audience"] = AudienceCounts(age=age, gender=gender)
    if settings.reactions:
        out["reactions"] = [ReactionCount(display=d, **{r: (iv.reactions[d][r] if iv else 0) for r in REACTIONS},
                                          look_s_sum=round(iv.reaction_look_s[d], 2) if iv else 0.0)
                            for d in displays]
    return out
