"""A worker's tallies sent back as whole fen come back equal, and a sum that is not whole fen is sent as is."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from models.enums import PovertyStatus
from models.simulation.core import Tally
from tasks.simulation.transfer import pack, receive, send, unpack


@pytest.mark.parametrize(
    ("pairs", "packable", "why"),
    [
        ({1: (D("0"), D("12.30")), 2: (D("-5.01"), D("123456789012.99"))}, True, "fen, zero, negative, large"),
        ({1: (D("1.005"), D("1.00"))}, False, "a sum below the fen is never rounded: sent as Decimals"),
        ({(3, 2017, "520527", PovertyStatus.EDGE): (D("7000.00"), D("6500.50"))}, True, "a household's key"),
    ],
)  # fmt: skip
def test_pairs_round_trip(pairs: dict[object, tuple[D, D]], packable: bool, why: str) -> None:
    packed = pack(pairs)
    assert (packed is not None) == packable, why
    if packed is not None:
        assert unpack(packed) == pairs, why


def test_tallies_come_back_as_they_were_sent() -> None:
    tally = Tally(stays=3, patients={7: (D("10.00"), D("8.00"))}, households={(1, 2017, "520527",
                  PovertyStatus.GENERAL): (D("1.001"), D("2"))})  # fmt: skip
    expected = {"plus5": {"520527": Tally(stays=3, patients=dict(tally.patients), households=dict(tally.households))}}
    sent = send({"plus5": {"520527": tally}})
    assert sent[0]["plus5"]["520527"].patients == {} and len(sent[1]) == 1  # households: not whole fen, left as is
    assert receive(sent) == expected
