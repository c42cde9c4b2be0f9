"""What edge and cloud agree on (protocol/contract.py)."""
from datetime import datetime, timezone

import pytest

from footfall.protocol import ProtocolError, VisitMessage, decode, encode
from footfall.protocol.contract import CLOUD_CLIENT_ID, CODE_BITS, PERIOD_POLICIES, edge_client_id, period_id, period_policy

T = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("policy", PERIOD_POLICIES)
def test_the_cloud_reads_the_policy_of_every_period_the_edge_makes(policy):
    for day in range(0, 400, 7):
        pid = period_id(T.timestamp() + day * 86400, "Europe/Berlin", policy, 4)
        assert period_policy(pid) == policy
        visit = VisitMessage(site="mall", device="door", seq=0, ts=T, track=1, code="a" * (CODE_BITS // 4), period=pid,
                             first_seen=T, last_seen=T, quality=0.5)
        assert decode(encode(visit)).period == pid  # and the wire format accepts it


def test_codes_have_the_contract_length_on_the_wire():
    short = dict(site="mall", device="door", seq=0, ts=T, track=1, period="2026-11-22", first_seen=T, last_seen=T,
                 quality=0.5)
    raw = encode(VisitMessage(code="a" * (CODE_BITS // 4), **short)).replace(b"a" * (CODE_BITS // 4), b"a" * 64)
    with pytest.raises(ProtocolError, match="code"):
        decode(raw)


def test_edge_client_ids_cannot_collide():
    assert edge_client_id("a-b", "c") != edge_client_id("a", "b-c")
    assert edge_client_id("footfall", "cloud") != CLOUD_CLIENT_ID
