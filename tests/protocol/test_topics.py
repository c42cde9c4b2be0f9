import pytest

from footfall.protocol import Kind, TopicError, parse_topic, subscription, topic_for


def test_topic_round_trip_for_every_kind():
    for kind in Kind:
        t = topic_for("mall-west", "entrance-1", kind)
        assert t == f"footfall/v1/mall-west/entrance-1/{kind.value}"
        parsed = parse_topic(t)
        assert (parsed.site, parsed.device, parsed.kind) == ("mall-west", "entrance-1", kind)


@pytest.mark.parametrize("topic", [
    "footfall/v1/site/dev",                 # too short
    "footfall/v2/site/dev/counts",          # other version
    "other/v1/site/dev/counts",
    "footfall/v1/site/dev/images",          # unknown kind
    "footfall/v1/Site/dev/counts",          # ids are lower case
    "footfall/v1/site/+/counts",            # wildcard is not an id
    "footfall/v1/site/dev/counts/extra",
])
def test_bad_topics_are_rejected(topic):
    with pytest.raises(TopicError):
        parse_topic(topic)


def test_topic_for_rejects_unknown_kind_and_bad_ids():
    with pytest.raises(TopicError, match="unknown kind"):
        topic_for("s", "d", "frames")
    with pytest.raises(TopicError, match="device"):
        topic_for("s", "a/b", "counts")


def test_subscription_filter():
    assert subscription() == "footfall/v1/+/+/+"
    assert subscription(site="mall-west", kind="visits") == "footfall/v1/mall-west/+/visits"
