"""Audience logic without models: bands, "unknown" rather than a guess, reactions per look, the wire fields."""
import numpy as np
import pytest

from footfall.edge.audience.bands import age_band
from footfall.edge.audience.expression import LABELS
from footfall.edge.audience.faceres import AgeGender
from footfall.edge.audience.observer import AudienceObserver, estimate
from footfall.edge.audience.reactions import Look, summarise
from footfall.edge.audience.wire import audience_fields
from footfall.edge.config import Audience
from footfall.protocol import CountsMessage, ProtocolError, decode, encode


@pytest.mark.parametrize("age, band", [(3, "<18"), (17.9, "<18"), (18, "18-24"), (24.99, "18-24"), (25, "25-34"),
                                       (44.5, "35-44"), (54, "45-54"), (64.9, "55-64"), (65, "65+"), (99, "65+")])
def test_age_bands(age, band):
    assert age_band(age) == band


def test_unknown_when_the_model_is_unsure_rather_than_a_guess():
    sure = AgeGender(30.0, 6.0, 0.95)
    assert estimate([sure], 12, 0.8) == ("25-34", "male")
    assert estimate([AgeGender(30.0, 15.0, 0.05)], 12, 0.8) == ("unknown", "female")  # wide age softmax
    assert estimate([AgeGender(30.0, 6.0, 0.6)], 12, 0.8) == ("25-34", "unknown")  # gender near 0.5
    assert estimate([], 12, 0.8) == ("unknown", "unknown")  # no sighting passed the quality gate
    # averaged over the track's sightings: one confident frame does not outvote two unsure ones
    assert estimate([sure, AgeGender(30, 6, 0.5), AgeGender(30, 6, 0.5)], 12, 0.8)[1] == "unknown"


def probs(**p) -> np.ndarray:
    v = np.zeros(len(LABELS))
    for k, x in p.items():
        v[LABELS.index(k)] = x
    return v


def test_reaction_of_a_look():
    def look(seconds, frames):
        lk = Look()
        for p in frames:
            lk.add(seconds / len(frames), p)
        return lk

    assert summarise(look(3.0, [probs(happy=0.9, neutral=0.1)] * 5), 0.5, 0.5, 0.4) == "delighted"
    assert summarise(look(3.0, [probs(neutral=1.0)] * 5), 0.5, 0.5, 0.4) == "neutral"
    assert summarise(look(3.0, [probs(angry=0.3, sad=0.3, neutral=0.4)] * 5), 0.5, 0.5, 0.4) == "disinterested"
    # a smile on one frame of five is not delight
    assert summarise(look(3.0, [probs(happy=1.0)] + [probs(neutral=1.0)] * 4), 0.5, 0.5, 0.4) == "neutral"
    # looked away quickly, whatever the face showed
    assert summarise(look(0.3, [probs(happy=1.0)] * 3), 0.5, 0.5, 0.4) == "disinterested"


def test_wire_fields_are_counts_in_closed_bands():
    s = Audience(age_gender=True, reactions=True)
    obs = AudienceObserver(s, age_gender_model=object(), expression_model=object())
    iv = obs.intervals[600]
    iv.age.update({"25-34": 3, "unknown": 1})
    iv.gender.update({"male": 2, "female": 1, "unknown": 1})
    iv.reactions["screen"].update({"delighted": 2, "neutral": 1})
    iv.reaction_look_s["screen"] = 7.5
    fields = audience_fields(obs, 600.0, s, ["screen", "poster"])
    assert 600 not in obs.intervals  # handed over once, then forgotten
    assert fields["audience"].age["25-34"] == 3 and sum(fields["audience"].age.values()) == 4
    assert [(r.display, r.delighted, r.neutral, r.disinterested, r.look_s_sum) for r in fields["reactions"]] == [
        ("screen", 2, 1, 0, 7.5), ("poster", 0, 0, 0, 0.0)]
    # nothing else fits in the field: a per-visitor value or a free-form band is refused by the contract
    m = CountsMessage(site="s", device="d", seq=1, ts="2026-11-20T10:01:00Z", interval_start="2026-11-20T10:00:00Z",
                      interval_s=60, **fields)
    raw = encode(m).decode()
    assert decode(raw) == m
    for bad in (raw.replace('"25-34":3', '"age 31":3'), raw.replace('"gender":{', '"gender":{"code":1,'),
                raw.replace('"audience":{', '"audience":{"visitor":"v01",')):
        with pytest.raises(ProtocolError):
            decode(bad)


def test_staff_and_noise_tracks_are_never_counted():
    """The staff hook (issue 16 wires staff recognition to it) and detector-noise tracks leave no trace in a band."""
    calls = []
    model = lambda crop: calls.append(crop) or AgeGender(30, 5, 0.9)  # noqa: E731
    obs = AudienceObserver(Audience(age_gender=True), age_gender_model=model, is_staff=lambda track: track == 2)
    obs.finish(1, 600.0, counted=True)  # a visitor whose face never passed the quality gate: unknown, not skipped
    obs.finish(2, 600.0, counted=True)  # staff
    obs.finish(3, 600.0, counted=False)  # noise
    iv = obs.pop_interval(600.0)
    assert dict(iv.age) == {"unknown": 1} and dict(iv.gender) == {"unknown": 1} and not calls


def test_self_check_runs_the_switched_on_models():
    from footfall.edge.audience.check import check_models

    assert check_models(Audience(age_gender=True, reactions=True)) == ["faceres_dynint8.tflite", "emotion_fp32.tflite"]
    assert check_models(Audience(reactions=True)) == ["emotion_fp32.tflite"]
    assert check_models(Audience()) == []
