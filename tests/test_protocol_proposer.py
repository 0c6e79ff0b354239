"""The proposer: phase 1 to everyone, adoption of the highest reported value, phase 2, retries."""

from __future__ import annotations

from desert_paxos.protocol import (
    PROPOSER_TIMER,
    Accept,
    Accepted,
    AcceptorRecord,
    Adopt,
    CancelTimer,
    Caravan,
    Config,
    Decide,
    Decided,
    Nack,
    Persist,
    Prepare,
    Promise,
    Proposal,
    Send,
    SetTimer,
    variant_named,
)

from .conftest import b

NAMES = ("Aghilas", "Taziri", "Amastan", "Itri", "Tassadit")


def test_propose_sends_prepare_to_everyone_and_arms_the_phase_timer(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    effects = aghilas.propose("Siwa")
    prepare = Prepare(ballot=b(1, "Aghilas"))
    assert effects == [
        Persist(record=AcceptorRecord(tried_round=1)),  # the round, before any rider leaves
        *(Send(dst=name, msg=prepare) for name in NAMES),
        SetTimer(name=PROPOSER_TIMER, low=config.phase_timeout, high=config.phase_timeout),
    ]


def test_ballot_starts_above_what_the_own_acceptor_promised(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.on_message("Itri", Prepare(ballot=b(7, "Itri")))
    effects = aghilas.propose("Siwa")
    assert effects[0] == Persist(record=AcceptorRecord(promised=b(7, "Itri"), tried_round=8))
    assert effects[1] == Send(dst="Aghilas", msg=Prepare(ballot=b(8, "Aghilas")))


def _promised_by(caravan: Caravan, ballot_round: int, reports: dict[str, Proposal | None]) -> list:  # type: ignore[type-arg]
    effects: list = []  # type: ignore[type-arg]
    for src, accepted in reports.items():
        effects = caravan.on_message(
            src, Promise(ballot=b(ballot_round, caravan.name), accepted=accepted)
        )
    return effects


def test_quorum_of_empty_promises_starts_phase2_with_own_value(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.propose("Siwa")
    assert _promised_by(aghilas, 1, {"Aghilas": None, "Taziri": None}) == []
    effects = aghilas.on_message("Itri", Promise(ballot=b(1, "Aghilas"), accepted=None))
    accept = Accept(ballot=b(1, "Aghilas"), value="Siwa")
    assert effects == [
        *(Send(dst=name, msg=accept) for name in NAMES),
        SetTimer(name=PROPOSER_TIMER, low=config.phase_timeout, high=config.phase_timeout),
    ]


def test_adopts_the_highest_ballot_value_reported(config: Config) -> None:
    taziri = Caravan(config, "Taziri")
    taziri.propose("Timbuktu")
    effects = _promised_by(
        taziri,
        1,
        {
            "Aghilas": Proposal(ballot=b(0, "Itri"), value="Ghadames"),
            "Amastan": None,
            "Itri": Proposal(ballot=b(0, "Tassadit"), value="Siwa"),
        },
    )
    assert effects[0] == Adopt(
        ballot=b(1, "Taziri"),
        value="Siwa",
        from_ballot=b(0, "Tassadit"),
        reported_by="Itri",
        own_value="Timbuktu",
    )
    assert Send(dst="Amastan", msg=Accept(ballot=b(1, "Taziri"), value="Siwa")) in effects
    assert not any(
        isinstance(e, Send) and e.msg == Accept(ballot=b(1, "Taziri"), value="Timbuktu")
        for e in effects
    )


def test_stubborn_proposer_ignores_reported_values() -> None:
    config = Config(variant=variant_named("stubborn-proposer"))
    taziri = Caravan(config, "Taziri")
    taziri.propose("Timbuktu")
    effects = _promised_by(
        taziri,
        1,
        {"Aghilas": Proposal(ballot=b(0, "Itri"), value="Siwa"), "Amastan": None, "Itri": None},
    )
    assert not any(isinstance(e, Adopt) for e in effects)
    assert Send(dst="Itri", msg=Accept(ballot=b(1, "Taziri"), value="Timbuktu")) in effects


def test_stale_promise_is_ignored(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.propose("Siwa")
    assert aghilas.on_message("Itri", Promise(ballot=b(0, "Aghilas"), accepted=None)) == []
    assert aghilas.proposer.promises == {}


def _to_phase2(caravan: Caravan) -> None:
    caravan.propose("Siwa")
    _promised_by(caravan, 1, {"Aghilas": None, "Taziri": None, "Itri": None})


def test_quorum_of_votes_decides_and_announces(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    _to_phase2(aghilas)
    vote = Accepted(ballot=b(1, "Aghilas"), value="Siwa")
    assert aghilas.on_message("Aghilas", vote) == []
    assert aghilas.on_message("Itri", vote) == []
    effects = aghilas.on_message("Tassadit", vote)
    notice = Decided(ballot=b(1, "Aghilas"), value="Siwa")
    assert effects == [
        Decide(ballot=b(1, "Aghilas"), value="Siwa"),
        CancelTimer(name="learn"),
        CancelTimer(name=PROPOSER_TIMER),
        *(Send(dst=name, msg=notice) for name in NAMES if name != "Aghilas"),
    ]
    assert aghilas.on_message("Amastan", vote) == []  # a late vote changes nothing


def test_repeated_votes_from_one_acceptor_count_once(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    _to_phase2(aghilas)
    vote = Accepted(ballot=b(1, "Aghilas"), value="Siwa")
    for _ in range(5):
        assert aghilas.on_message("Itri", vote) == []


def test_early_learner_decides_on_one_vote() -> None:
    config = Config(variant=variant_named("early-learner"))
    aghilas = Caravan(config, "Aghilas")
    _to_phase2(aghilas)
    effects = aghilas.on_message("Itri", Accepted(ballot=b(1, "Aghilas"), value="Siwa"))
    assert effects[0] == Decide(ballot=b(1, "Aghilas"), value="Siwa")


def test_nacks_back_off_only_once_no_quorum_can_form(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.propose("Siwa")
    nack = Nack(ballot=b(1, "Aghilas"), promised=b(6, "Itri"))
    assert aghilas.on_message("Itri", nack) == []
    assert aghilas.on_message("Taziri", nack) == []
    effects = aghilas.on_message("Amastan", nack)
    assert effects == [
        SetTimer(name=PROPOSER_TIMER, low=config.backoff_low, high=config.backoff_high)
    ]
    retry = aghilas.on_timer(PROPOSER_TIMER)
    assert retry[0] == Persist(record=AcceptorRecord(tried_round=7))
    assert retry[1] == Send(dst="Aghilas", msg=Prepare(ballot=b(7, "Aghilas")))


def test_backoff_range_doubles_with_each_failed_attempt(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.propose("Siwa")
    first = aghilas.on_timer(PROPOSER_TIMER)  # phase 1 timed out
    aghilas.on_timer(PROPOSER_TIMER)  # backoff over: retry
    second = aghilas.on_timer(PROPOSER_TIMER)  # timed out again
    assert first == [
        SetTimer(name=PROPOSER_TIMER, low=config.backoff_low, high=config.backoff_high)
    ]
    assert second == [
        SetTimer(name=PROPOSER_TIMER, low=config.backoff_low, high=2 * config.backoff_high)
    ]


def test_learning_from_another_stops_the_proposer(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    aghilas.propose("Siwa")
    effects = aghilas.on_message("Itri", Decided(ballot=b(3, "Itri"), value="Timbuktu"))
    assert effects == [
        Decide(ballot=b(3, "Itri"), value="Timbuktu"),
        CancelTimer(name="learn"),
        CancelTimer(name=PROPOSER_TIMER),
    ]
    assert aghilas.propose("Siwa") == []
    assert aghilas.on_timer(PROPOSER_TIMER) == []


# -- ballots stay unique across a crash: the round is in the logbook ----------------------------


def _logbook_of(effects: list) -> AcceptorRecord:  # type: ignore[type-arg]
    """What the disk holds after these effects: the last record persisted."""
    return [e for e in effects if isinstance(e, Persist)][-1].record


def test_a_new_ballot_is_written_down_before_any_of_its_riders_leaves(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas")
    effects = aghilas.propose("Siwa")
    assert effects[0] == Persist(record=AcceptorRecord(tried_round=1))
    assert all(isinstance(e, Send | SetTimer) for e in effects[1:])
    assert aghilas.on_timer(PROPOSER_TIMER) == [  # phase 1 timed out: a back-off, no ballot
        SetTimer(name=PROPOSER_TIMER, low=config.backoff_low, high=config.backoff_high)
    ]
    retry = aghilas.on_timer(PROPOSER_TIMER)  # the back-off is over: a second ballot
    assert retry[0] == Persist(record=AcceptorRecord(tried_round=2))
    assert retry[1] == Send(dst="Aghilas", msg=Prepare(ballot=b(2, "Aghilas")))
    # A round no higher than the one written needs no second write.
    assert aghilas.acceptor.note_round(2) == []


def test_a_recovered_proposer_never_reuses_a_ballot(config: Config) -> None:
    # Aghilas's Prepare leaves, but it collapses before its own acceptor hears it: the logbook
    # holds no promise, only the round. Back on its feet, it must open a higher ballot.
    aghilas = Caravan(config, "Aghilas")
    disk = _logbook_of(aghilas.propose("Siwa"))
    assert disk == AcceptorRecord(tried_round=1) and disk.promised is None
    again = Caravan(config, "Aghilas", disk)
    effects = again.propose("Siwa")
    prepares = {e.msg.ballot for e in effects if isinstance(e, Send)}  # type: ignore[union-attr]
    assert prepares == {b(2, "Aghilas")}


def test_the_volatile_round_variant_reuses_the_ballot_after_a_crash() -> None:
    config = Config(variant=variant_named("volatile-round"))
    aghilas = Caravan(config, "Aghilas")
    first = aghilas.propose("Siwa")
    assert not any(isinstance(e, Persist) for e in first)  # nothing written: the bug
    again = Caravan(config, "Aghilas")  # its logbook is as empty as before
    effects = again.propose("Siwa")
    assert effects[0] == Send(dst="Aghilas", msg=Prepare(ballot=b(1, "Aghilas")))
