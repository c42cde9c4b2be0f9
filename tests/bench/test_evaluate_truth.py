"""The truth `evaluate` scores against counts visitors as the product defines them (bench/evaluate.py)."""
from footfall.bench.evaluate import truth_figures


def test_a_passer_by_is_no_visitor_and_walking_past_again_is_no_return():
    """Unique visitors came in through an entrance; returning ones came in on a second trip. A passer-by seen at the
    door (trips not entered) is neither, as the linker counts them."""
    def crossing(visitor, trip, direction="in"):
        return {"visitor": visitor, "trip": trip, "line": "door", "direction": direction, "t": 10.0 * trip}

    visitors = [{"id": v, "trips": [{}] * n} for v, n in (("twice", 2), ("once-then-past", 2), ("passer", 1))]
    devices = {"entrance": {"crossings": [crossing("twice", 0), crossing("twice", 0, "out"), crossing("twice", 1),
                                          crossing("once-then-past", 0)], "zone_visits": []},
               "store-a": {"crossings": [crossing("passer", 0)], "zone_visits": []}}  # a store door is no entrance
    site = {"id": "s", "stores": [], "entrances": ["entrance"]}
    want = truth_figures({"visitors": visitors, "devices": devices}, site)
    assert (want["unique"], want["returning"]) == (2, 1)
