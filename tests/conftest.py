"""Shared fixtures: a five-caravan configuration and small helpers."""

from __future__ import annotations

import pytest

from desert_paxos.protocol import Ballot, Config


@pytest.fixture
def config() -> Config:
    return Config()


def b(round_: int, caravan: str) -> Ballot:
    return Ballot(round_, caravan)
