"""The journey's roles emit exactly the effects Multi-Paxos requires, in order, and nothing else."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desert_paxos.protocol import Ballot, CancelTimer, Config, Persist, Send, SetTimer
from desert_paxos.protocol.multi import (
    ELECTION_TIMER,
    HEARTBEAT_TIMER,
    JOURNEY_VARIANTS,
    REST_DAY,
    RETRY_TIMER,
    THINK_TIMER,
    WAIT_TIMER,
    Accept,
    Accepted,
    CatchUp,
    Command,
    Complete,
    Decision,
    Elected,
    Executed,
    Heartbeat,
    Invoke,
    JourneyCaravan,
    JourneyConfig,
    Learn,
    Logbook,
    Nack,
    Prepare,
    Promise,
    Request,
    Response,
    Result,
    SlotVote,
    Snapshot,
    Traveller,
    TravellerPlan,
    command_from_json,
    command_to_json,
    message_from_json,
    message_to_json,
)

NAMES = ("Aghilas", "Taziri", "Amastan")


def cfg(variant: str = "paxos", **kw: int) -> JourneyConfig:
    return JourneyConfig(base=Config(caravans=NAMES), variant=JOURNEY_VARIANTS[variant], **kw)


def b(r: int, c: str) -> Ballot:
    return Ballot(r, c)


def put(key: str, value: int, who: str = "Ines", n: int = 1) -> Command:
    return Command(traveller=who, request=n, op="put", key=key, value=value)


def get(key: str, who: str = "Ines", n: int = 1) -> Command:
    return Command(traveller=who, request=n, op="get", key=key)


ELECTION = SetTimer(name=ELECTION_TIMER, low=150, high=300)


def leader_of(config: JourneyConfig, name: str = "Aghilas") -> JourneyCaravan:
    """A caravan that has won phase 1 with (1, name) and an empty log."""
    caravan = JourneyCaravan(config, name)
    caravan.on_timer(ELECTION_TIMER)
    caravan.on_message(name, Prepare(ballot=b(1, name)))
    for src in config.caravans[: config.phase1_quorum]:
        caravan.on_message(src, Promise(ballot=b(1, name), floor=0, votes=()))
    assert caravan.leader.leading
    return caravan


# -- the acceptor ----------------------------------------------------------------


def test_prepare_persists_the_promise_then_reports_every_vote_above_the_floor() -> None:
    record = Logbook(votes=((2, b(1, "Taziri"), put("water", 40)),), floor=1)
    taziri = JourneyCaravan(cfg(), "Taziri", record)
    effects = taziri.on_message("Amastan", Prepare(ballot=b(2, "Amastan")))
    written = replace(record, promised=b(2, "Amastan"))
    assert effects == [
        Persist(record=written),
        Send(
            dst="Amastan",
            msg=Promise(
                ballot=b(2, "Amastan"),
                floor=1,
                votes=(SlotVote(slot=2, ballot=b(1, "Taziri"), command=put("water", 40)),),
            ),
        ),
    ]


def test_lower_banner_is_refused_and_nothing_written() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri", Logbook(promised=b(3, "Amastan")))
    assert taziri.on_message("Aghilas", Prepare(ballot=b(2, "Aghilas"))) == [
        Send(dst="Aghilas", msg=Nack(ballot=b(2, "Aghilas"), promised=b(3, "Amastan")))
    ]
    accept = Accept(ballot=b(2, "Aghilas"), slot=1, command=REST_DAY)
    assert taziri.on_message("Aghilas", accept) == [
        Send(dst="Aghilas", msg=Nack(ballot=b(2, "Aghilas"), promised=b(3, "Amastan")))
    ]


def test_accept_persists_a_vote_per_night_and_a_repeat_writes_nothing() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri")
    accept = Accept(ballot=b(1, "Aghilas"), slot=2, command=put("water", 40))
    first = taziri.on_message("Aghilas", accept)
    written = Logbook(promised=b(1, "Aghilas"), votes=((2, b(1, "Aghilas"), put("water", 40)),))
    vote = Send(dst="Aghilas", msg=Accepted(ballot=b(1, "Aghilas"), slot=2))
    assert first == [Persist(record=written), vote]
    assert taziri.on_message("Aghilas", accept) == [vote]
    other = Accept(ballot=b(1, "Aghilas"), slot=1, command=REST_DAY)
    written = replace(written, votes=((1, b(1, "Aghilas"), REST_DAY), *written.votes))
    assert taziri.on_message("Aghilas", other) == [
        Persist(record=written),
        Send(dst="Aghilas", msg=Accepted(ballot=b(1, "Aghilas"), slot=1)),
    ]


def test_accept_at_or_below_the_floor_gets_no_vote_but_the_snapshot() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri", Logbook(floor=3, supplies=(("water", 2),)))
    accept = Accept(ballot=b(1, "Aghilas"), slot=3, command=REST_DAY)
    assert taziri.acceptor.on_accept("Aghilas", accept) == []
    assert taziri.on_message("Aghilas", accept) == [
        Send(dst="Aghilas", msg=Snapshot(floor=3, supplies=(("water", 2),), table=()))
    ]


def test_accept_for_a_night_executed_here_sends_the_decision() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri")
    taziri.on_message("Amastan", Decision(slot=1, command=put("water", 4)))
    accept = Accept(ballot=b(2, "Aghilas"), slot=1, command=REST_DAY)
    assert taziri.on_message("Aghilas", accept) == [
        Send(dst="Aghilas", msg=Decision(slot=1, command=put("water", 4)))
    ]


# -- the leader: election, phase 1 once, phase 2 per night ---------------------------


def test_start_arms_the_election_timer_only() -> None:
    assert JourneyCaravan(cfg(), "Taziri").on_start() == [ELECTION]


def test_election_writes_the_round_then_sends_prepare_to_all() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri", Logbook(promised=b(4, "Amastan"), tried_round=2))
    effects = taziri.on_timer(ELECTION_TIMER)
    prepare = Prepare(ballot=b(5, "Taziri"))
    assert effects == [
        Persist(record=Logbook(promised=b(4, "Amastan"), tried_round=5)),
        *[Send(dst=d, msg=prepare) for d in NAMES],
        ELECTION,
    ]


def test_a_recovered_caravan_never_reuses_a_round_it_wrote() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri", Logbook(tried_round=7))
    effects = taziri.on_timer(ELECTION_TIMER)
    assert Send(dst="Aghilas", msg=Prepare(ballot=b(8, "Taziri"))) in effects


def test_phase1_quorum_adopts_highest_votes_fills_holes_with_rest_days() -> None:
    config = cfg()
    aghilas = JourneyCaravan(config, "Aghilas")
    aghilas.on_timer(ELECTION_TIMER)
    ballot = b(1, "Aghilas")
    low = SlotVote(slot=1, ballot=b(0, "Taziri"), command=put("water", 1))
    high = SlotVote(slot=1, ballot=b(0, "Taziri"), command=put("water", 2))
    three = SlotVote(slot=3, ballot=b(0, "Amastan"), command=get("salt"))
    assert aghilas.on_message("Taziri", Promise(ballot=ballot, floor=0, votes=(low,))) == []
    effects = aghilas.on_message(
        "Amastan",
        Promise(ballot=ballot, floor=0, votes=(replace(high, ballot=b(1, "Amastan")), three)),
    )
    accepts = [
        Accept(ballot=ballot, slot=1, command=put("water", 2)),
        Accept(ballot=ballot, slot=2, command=REST_DAY),
        Accept(ballot=ballot, slot=3, command=get("salt")),
    ]
    beat = Heartbeat(ballot=ballot, executed=0)
    assert effects == [
        CancelTimer(name=ELECTION_TIMER),
        Elected(ballot=ballot, first=1, filled=(2,)),
        *[Send(dst=d, msg=a) for a in accepts for d in NAMES],
        Send(dst="Taziri", msg=beat),
        Send(dst="Amastan", msg=beat),
        SetTimer(name=HEARTBEAT_TIMER, low=40, high=40),
        SetTimer(name=RETRY_TIMER, low=60, high=60),
    ]
    assert aghilas.leader.next_slot == 4


def test_promises_above_a_floor_start_the_leader_after_it() -> None:
    config = cfg()
    aghilas = JourneyCaravan(config, "Aghilas")
    aghilas.on_timer(ELECTION_TIMER)
    ballot = b(1, "Aghilas")
    aghilas.on_message("Taziri", Promise(ballot=ballot, floor=5, votes=()))
    effects = aghilas.on_message("Amastan", Promise(ballot=ballot, floor=0, votes=()))
    assert Elected(ballot=ballot, first=6, filled=()) in effects
    assert not [e for e in effects if isinstance(e, Send) and isinstance(e.msg, Accept)]


def test_a_leader_orders_a_request_in_the_next_night() -> None:
    aghilas = leader_of(cfg())
    effects = aghilas.on_message("Ines", Request(command=put("water", 40)))
    accept = Accept(ballot=b(1, "Aghilas"), slot=1, command=put("water", 40))
    assert effects == [Send(dst=d, msg=accept) for d in NAMES]
    assert aghilas.on_message("Ines", Request(command=put("water", 40))) == []  # already open


def test_requests_beyond_the_window_wait() -> None:
    aghilas = leader_of(cfg(window=1))
    aghilas.on_message("Ines", Request(command=put("water", 40)))
    assert aghilas.on_message("Tin", Request(command=put("salt", 1, who="Tin"))) == []
    assert aghilas.leader.queue == [put("salt", 1, who="Tin")]


def test_phase2_quorum_decides_and_tells_everyone() -> None:
    aghilas = leader_of(cfg())
    aghilas.on_message("Ines", Request(command=put("water", 40)))
    assert aghilas.on_message("Aghilas", Accepted(ballot=b(1, "Aghilas"), slot=1)) == []
    assert aghilas.on_message("Aghilas", Accepted(ballot=b(1, "Aghilas"), slot=1)) == []
    effects = aghilas.on_message("Taziri", Accepted(ballot=b(1, "Aghilas"), slot=1))
    decision = Decision(slot=1, command=put("water", 40))
    assert effects == [Send(dst=d, msg=decision) for d in NAMES]
    assert aghilas.on_message("Amastan", Accepted(ballot=b(1, "Aghilas"), slot=1)) == []


def test_the_leader_executes_a_decision_and_answers_the_traveller() -> None:
    aghilas = leader_of(cfg())
    effects = aghilas.on_message("Aghilas", Decision(slot=1, command=put("water", 40)))
    assert effects == [
        Learn(slot=1, command=put("water", 40)),
        Executed(slot=1, command=put("water", 40), result=Result(ok=True), again=False),
        Send(dst="Ines", msg=Response(traveller="Ines", request=1, result=Result(ok=True))),
    ]


def test_nights_execute_in_order_only() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri")
    assert taziri.on_message("Aghilas", Decision(slot=2, command=get("water", n=2))) == [
        Learn(slot=2, command=get("water", n=2))
    ]
    effects = taziri.on_message("Aghilas", Decision(slot=1, command=put("water", 40)))
    assert effects == [
        Learn(slot=1, command=put("water", 40)),
        Executed(slot=1, command=put("water", 40), result=Result(ok=True), again=False),
        Executed(slot=2, command=get("water", n=2), result=Result(ok=True, value=40), again=False),
    ]


def test_a_retried_request_already_executed_is_skipped_and_answered_from_the_table() -> None:
    aghilas = leader_of(cfg())
    aghilas.on_message("Aghilas", Decision(slot=1, command=put("water", 40)))
    assert aghilas.on_message("Taziri", Request(command=put("water", 40))) == [
        Send(dst="Ines", msg=Response(traveller="Ines", request=1, result=Result(ok=True)))
    ]
    effects = aghilas.on_message("Aghilas", Decision(slot=2, command=put("water", 40)))
    assert effects == [
        Learn(slot=2, command=put("water", 40)),
        Executed(slot=2, command=put("water", 40), result=Result(ok=True), again=True),
    ]


def test_twice_executed_variant_executes_the_retry_again() -> None:
    aghilas = leader_of(cfg("twice-executed"))
    aghilas.on_message("Aghilas", Decision(slot=1, command=put("water", 40)))
    effects = aghilas.on_message("Aghilas", Decision(slot=2, command=put("water", 40)))
    assert (
        Executed(slot=2, command=put("water", 40), result=Result(ok=True), again=False) in effects
    )


def test_a_follower_passes_a_request_to_the_leader_it_heard() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri")
    effects = taziri.on_message("Aghilas", Heartbeat(ballot=b(1, "Aghilas"), executed=0))
    assert effects == [ELECTION]
    assert taziri.on_message("Ines", Request(command=get("water"))) == [
        Send(dst="Aghilas", msg=Request(command=get("water")))
    ]


def test_a_follower_behind_the_leader_asks_to_catch_up() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri")
    effects = taziri.on_message("Aghilas", Heartbeat(ballot=b(1, "Aghilas"), executed=3))
    assert effects == [ELECTION, Send(dst="Aghilas", msg=CatchUp(after=0))]


def test_an_old_leaders_heartbeat_is_ignored() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri", Logbook(promised=b(2, "Amastan")))
    assert taziri.on_message("Aghilas", Heartbeat(ballot=b(1, "Aghilas"), executed=0)) == []


def test_a_leader_steps_down_on_a_nack() -> None:
    aghilas = leader_of(cfg())
    effects = aghilas.on_message("Taziri", Nack(ballot=b(1, "Aghilas"), promised=b(2, "Taziri")))
    assert effects == [
        CancelTimer(name=HEARTBEAT_TIMER),
        CancelTimer(name=RETRY_TIMER),
        ELECTION,
    ]
    assert not aghilas.leader.leading and aghilas.leader.leader == "Taziri"


def test_heartbeat_and_retry_timers_while_leading() -> None:
    aghilas = leader_of(cfg())
    beat = Heartbeat(ballot=b(1, "Aghilas"), executed=0)
    assert aghilas.on_timer(HEARTBEAT_TIMER) == [
        Send(dst="Taziri", msg=beat),
        Send(dst="Amastan", msg=beat),
        SetTimer(name=HEARTBEAT_TIMER, low=40, high=40),
    ]
    aghilas.on_message("Ines", Request(command=get("water")))
    aghilas.on_message("Taziri", Accepted(ballot=b(1, "Aghilas"), slot=1))
    accept = Accept(ballot=b(1, "Aghilas"), slot=1, command=get("water"))
    assert aghilas.on_timer(RETRY_TIMER) == [
        Send(dst="Aghilas", msg=accept),
        Send(dst="Amastan", msg=accept),
        SetTimer(name=RETRY_TIMER, low=60, high=60),
    ]


def test_compaction_writes_the_supplies_and_forgets_old_votes() -> None:
    config = cfg(compact_every=2)
    taziri = JourneyCaravan(config, "Taziri")
    taziri.on_message("Aghilas", Accept(ballot=b(1, "Aghilas"), slot=1, command=put("water", 4)))
    taziri.on_message("Aghilas", Decision(slot=1, command=put("water", 4)))
    effects = taziri.on_message("Aghilas", Decision(slot=2, command=REST_DAY))
    written = Logbook(
        promised=b(1, "Aghilas"),
        floor=2,
        supplies=(("water", 4),),
        table=(("Ines", 1, Result(ok=True)),),
    )
    assert effects == [
        Learn(slot=2, command=REST_DAY),
        Executed(slot=2, command=REST_DAY, result=Result(ok=True), again=False),
        Persist(record=written),
    ]
    # A caravan asking for compacted nights gets the snapshot.
    assert taziri.on_message("Amastan", CatchUp(after=0)) == [
        Send(dst="Amastan", msg=Snapshot(floor=2, supplies=(("water", 4),), table=written.table))
    ]
    # And one that gets up from the logbook starts from it.
    again = JourneyCaravan(config, "Taziri", written)
    assert again.replica.executed == 2 and again.replica.supplies == {"water": 4}


def test_catch_up_sends_the_decisions_held() -> None:
    aghilas = leader_of(cfg())
    aghilas.on_message("Aghilas", Decision(slot=1, command=put("water", 40)))
    aghilas.on_message("Aghilas", Decision(slot=2, command=REST_DAY))
    assert aghilas.on_message("Taziri", CatchUp(after=1)) == [
        Send(dst="Taziri", msg=Decision(slot=2, command=REST_DAY))
    ]


def test_a_snapshot_brings_a_lagging_caravan_forward() -> None:
    taziri = JourneyCaravan(cfg(), "Taziri")
    taziri.on_message("Aghilas", Decision(slot=4, command=get("water")))
    effects = taziri.on_message("Aghilas", Snapshot(floor=3, supplies=(("water", 9),), table=()))
    assert effects == [
        Executed(slot=4, command=get("water"), result=Result(ok=True, value=9), again=False)
    ]


def test_skip_phase1_variant_leads_at_once() -> None:
    aghilas = JourneyCaravan(cfg("skip-phase1"), "Aghilas")
    effects = aghilas.on_timer(ELECTION_TIMER)
    beat = Heartbeat(ballot=b(1, "Aghilas"), executed=0)
    assert effects == [
        Persist(record=Logbook(tried_round=1)),
        Elected(ballot=b(1, "Aghilas"), first=1, filled=()),
        Send(dst="Taziri", msg=beat),
        Send(dst="Amastan", msg=beat),
        SetTimer(name=HEARTBEAT_TIMER, low=40, high=40),
    ]


def test_stale_read_variant_answers_a_get_from_the_leaders_own_supplies() -> None:
    aghilas = leader_of(cfg("stale-read"))
    assert aghilas.on_message("Ines", Request(command=get("water"))) == [
        Send(dst="Ines", msg=Response(traveller="Ines", request=1, result=Result(ok=True)))
    ]
    real = leader_of(cfg())
    assert all(
        isinstance(e.msg, Accept)
        for e in real.on_message("Ines", Request(command=get("water")))
        if isinstance(e, Send)
    )


# -- the traveller ------------------------------------------------------------------


def test_traveller_asks_retries_the_same_request_elsewhere_and_completes() -> None:
    plan = TravellerPlan(name="Ines", operations=(put("water", 40, who="", n=0),), first=1)
    ines = Traveller(plan, NAMES)
    assert ines.on_start() == [SetTimer(name=THINK_TIMER, low=20, high=60)]
    ask = put("water", 40)
    wait = SetTimer(name=WAIT_TIMER, low=200, high=200)
    assert ines.on_timer(THINK_TIMER) == [
        Invoke(command=ask, caravan="Taziri", retry=False),
        Send(dst="Taziri", msg=Request(command=ask)),
        wait,
    ]
    assert ines.on_timer(WAIT_TIMER) == [
        Invoke(command=ask, caravan="Amastan", retry=True),
        Send(dst="Amastan", msg=Request(command=ask)),
        wait,
    ]
    answer = Response(traveller="Ines", request=1, result=Result(ok=True))
    assert ines.on_message("Amastan", answer) == [
        CancelTimer(name=WAIT_TIMER),
        Complete(command=ask, result=Result(ok=True)),
    ]
    assert ines.done
    assert ines.on_message("Taziri", answer) == []  # a second answer changes nothing


# -- codecs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg",
    [
        Prepare(ballot=b(1, "A")),
        Promise(
            ballot=b(1, "A"), floor=2, votes=(SlotVote(slot=3, ballot=b(1, "B"), command=REST_DAY),)
        ),
        Accept(
            ballot=b(1, "A"),
            slot=1,
            command=Command(traveller="T", request=2, op="cas", key="k", value=3, expected=None),
        ),
        Accepted(ballot=b(1, "A"), slot=4),
        Nack(ballot=b(1, "A"), promised=b(2, "B")),
        Decision(slot=1, command=get("water")),
        Heartbeat(ballot=b(1, "A"), executed=5),
        CatchUp(after=2),
        Snapshot(
            floor=2,
            supplies=(("salt", 1), ("water", 3)),
            table=(("Ines", 2, Result(ok=False, value=3)),),
        ),
        Request(command=put("water", 1)),
        Response(traveller="Ines", request=1, result=Result(ok=True, value=None)),
    ],
)
def test_messages_round_trip_through_json(msg: object) -> None:
    assert message_from_json(message_to_json(msg)) == msg  # type: ignore[arg-type]


def test_bad_commands_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'value'"):
        command_from_json({"traveller": "I", "request": 1, "op": "put", "key": "w"})
    with pytest.raises(ValueError, match="op"):
        command_from_json({"op": "steal"})
    assert command_from_json(command_to_json(REST_DAY)) == REST_DAY
