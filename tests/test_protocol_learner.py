"""The learner: patience timers, inquiries, and answers from those who know."""

from __future__ import annotations

from desert_paxos.protocol import (
    LEARN_TIMER,
    CancelTimer,
    Caravan,
    Config,
    Decide,
    Decided,
    Inquire,
    Send,
    SetTimer,
    sends_of,
)

from .conftest import b


def test_start_arms_the_patience_timer(config: Config) -> None:
    itri = Caravan(config, "Itri")
    assert itri.on_start() == [
        SetTimer(name=LEARN_TIMER, low=config.patience_low, high=config.patience_high)
    ]


def test_patience_out_inquires_of_every_other_caravan_and_rearms(config: Config) -> None:
    itri = Caravan(config, "Itri")
    effects = itri.on_timer(LEARN_TIMER)
    assert effects == [
        Send(dst=name, msg=Inquire()) for name in config.caravans if name != "Itri"
    ] + [SetTimer(name=LEARN_TIMER, low=config.patience_low, high=config.patience_high)]


def test_undecided_caravan_ignores_inquiries(config: Config) -> None:
    assert Caravan(config, "Taziri").on_message("Itri", Inquire()) == []


def test_decided_caravan_answers_inquiries(config: Config) -> None:
    taziri = Caravan(config, "Taziri")
    taziri.on_message("Aghilas", Decided(ballot=b(2, "Aghilas"), value="Siwa"))
    assert taziri.on_message("Itri", Inquire()) == [
        Send(dst="Itri", msg=Decided(ballot=b(2, "Aghilas"), value="Siwa"))
    ]


def test_decides_once_and_stops_waiting(config: Config) -> None:
    itri = Caravan(config, "Itri")
    first = itri.on_message("Aghilas", Decided(ballot=b(2, "Aghilas"), value="Siwa"))
    assert first == [Decide(ballot=b(2, "Aghilas"), value="Siwa"), CancelTimer(name=LEARN_TIMER)]
    assert itri.on_message("Taziri", Decided(ballot=b(2, "Aghilas"), value="Siwa")) == []
    assert itri.on_timer(LEARN_TIMER) == []
    assert itri.on_start() == []


def test_snapshot_restore_round_trip(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.propose("Siwa")
    aghilas.on_message("Aghilas", sends_of(aghilas.propose("Siwa"))[0].msg)
    snap = aghilas.snapshot()
    again = Caravan.restore(config, "Aghilas", snap)
    assert again.snapshot() == snap
    assert hash(snap) == hash(again.snapshot())
