"""The protocol's values built by their quicker ``__init__`` are the dataclasses' own values."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from desert_paxos.protocol import Ballot
from desert_paxos.protocol._quick import GENERATED

CLASSES = sorted(GENERATED, key=lambda cls: cls.__name__)
SAMPLES: dict[str, Any] = {"ballot": Ballot(3, "Itri"), "from_ballot": Ballot(2, "Taziri")}


def _value(name: str) -> Any:
    return SAMPLES.get(name, f"{name}-value")


def test_every_message_effect_and_record_is_quick() -> None:
    names = {cls.__name__ for cls in CLASSES}
    assert {"Prepare", "Promise", "Accept", "Send", "Persist", "AcceptorRecord"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_a_quick_value_is_the_generated_one(cls: type) -> None:
    kwargs = {f.name: _value(f.name) for f in dataclasses.fields(cls)}
    quick = cls(**kwargs)
    slow = object.__new__(cls)
    GENERATED[cls](slow, **kwargs)
    assert quick == slow and hash(quick) == hash(slow) and repr(quick) == repr(slow)
    assert pickle.loads(pickle.dumps(quick)) == quick
    assert dataclasses.replace(quick) == quick
    assert inspect.signature(cls.__init__) == inspect.signature(GENERATED[cls])
    field = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(quick, field, None)
    with pytest.raises(TypeError):
        cls(*kwargs.values())  # keyword-only
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    if required:
        with pytest.raises(TypeError):
            cls(**{k: v for k, v in kwargs.items() if k != required[0]})


def test_defaults_are_the_dataclass_defaults() -> None:
    from desert_paxos.protocol._durable import EMPTY_RECORD, AcceptorRecord

    slow = object.__new__(AcceptorRecord)
    GENERATED[AcceptorRecord](slow)
    assert AcceptorRecord() == slow == EMPTY_RECORD
    assert AcceptorRecord(tried_round=4).tried_round == 4
