"""Checks: what a lesson asks of the desert, judged on the trace, never on what was typed.

Theory of operation
-------------------
A challenge ("make the desert decide nothing until t=500 without crashing
more than one caravan") is a list of conditions that must all hold, and a
list of conditions that spoil the attempt if any holds. Each condition is a
named predicate over :class:`Facts`: the session's trace events up to the
present moment and its clock. Because the facts come from the trace, a check
sees exactly what every other view sees; travelling back with ``/back`` or
``/goto`` takes events out of the facts again, so a spoilt attempt can be
mended by undoing it.

A predicate's parameters are declared beside it (``CHECKS``), so the lesson
loader validates a lesson file's conditions (names, parameter types, caravan
names) before anyone runs it, and ``desert-paxos check`` reports them like
any other problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["CHECKS", "PARAMETER_TYPES", "Check", "Condition", "Facts", "describe", "holds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """One named predicate with its arguments, e.g. ``knows(caravan="Tassadit")``."""

    kind: str
    caravan: str | None = None
    value: str | None = None
    t: int | None = None
    n: int | None = None
    invariant: str | None = None


class Facts:
    """The session's trace up to now, indexed the way the predicates ask."""

    def __init__(self, events: Iterable[dict[str, Any]], clock: int) -> None:
        self.events = list(events)
        self.clock = clock

    def of(self, *kinds: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("kind") in kinds]

    def delivered(self, msg_type: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e.get("kind") == "deliver" and (e.get("msg") or {}).get("type") == msg_type
        ]

    def collapsed(self) -> set[str]:
        down: set[str] = set()
        for e in self.of("crash", "recover"):
            if e["kind"] == "crash":
                down.add(e["node"])
            else:
                down.discard(e["node"])
        return down

    def caravans(self) -> list[str]:
        header = next((e for e in self.events if e.get("kind") == "header"), None)
        return list(header["caravans"]) if header else []


def _value_matches(wanted: str | None, value: object) -> bool:
    return wanted is None or wanted == "any" or wanted == value


def _time_at_least(f: Facts, c: Condition) -> bool:
    assert c.t is not None
    return f.clock >= c.t


def _decided(f: Facts, c: Condition) -> bool:
    return any(_value_matches(c.value, e.get("value")) for e in f.of("decide"))


def _nothing_decided_before(f: Facts, c: Condition) -> bool:
    assert c.t is not None
    return f.clock >= c.t and not any(e["t"] < c.t for e in f.of("decide"))


def _chosen(f: Facts, c: Condition) -> bool:
    return any(_value_matches(c.value, e.get("value")) for e in f.of("chosen"))


def _nothing_chosen_before(f: Facts, c: Condition) -> bool:
    assert c.t is not None
    return f.clock >= c.t and not any(e["t"] < c.t for e in f.of("chosen"))


def _knows(f: Facts, c: Condition) -> bool:
    return any(
        e.get("node") == c.caravan and _value_matches(c.value, e.get("value"))
        for e in f.of("decide")
    )


def _all_alive_know(f: Facts, c: Condition) -> bool:
    knowing = {e["node"] for e in f.of("decide") if _value_matches(c.value, e.get("value"))}
    down = f.collapsed()
    alive = [name for name in f.caravans() if name not in down]
    return bool(alive) and all(name in knowing for name in alive)


def _learned_by_asking(f: Facts, c: Condition) -> bool:
    """The caravan sent an inquiry, then learned from a rider carrying the decision."""
    asked = False
    last_delivery: dict[str, Any] | None = None
    for e in f.events:
        kind = e.get("kind")
        if kind == "send" and e.get("src") == c.caravan and e["msg"].get("type") == "inquire":
            asked = True
        elif kind == "deliver" and e.get("dst") == c.caravan:
            last_delivery = e
        elif kind == "decide" and e.get("node") == c.caravan:
            return (
                asked
                and last_delivery is not None
                and last_delivery["msg"].get("type") == "decided"
            )
    return False


def _crashes_at_most(f: Facts, c: Condition) -> bool:
    assert c.n is not None
    return len(f.of("crash")) <= c.n


def _crashes_at_least(f: Facts, c: Condition) -> bool:
    assert c.n is not None
    return len(f.of("crash")) >= c.n


def _collapsed(f: Facts, c: Condition) -> bool:
    return c.caravan in f.collapsed()


def _sandstorm_raised(f: Facts, c: Condition) -> bool:
    return bool(f.of("sandstorm"))


def _adopted(f: Facts, c: Condition) -> bool:
    return any(
        (c.caravan is None or e.get("node") == c.caravan)
        and _value_matches(c.value, e.get("value"))
        for e in f.of("adopt")
    )


def _proposed(f: Facts, c: Condition) -> bool:
    return any(
        (c.caravan is None or e.get("node") == c.caravan)
        and _value_matches(c.value, e.get("value"))
        for e in f.of("propose")
    )


def _refusals_at_least(f: Facts, c: Condition) -> bool:
    assert c.n is not None
    return len(f.delivered("nack")) >= c.n


def _ballots_at_least(f: Facts, c: Condition) -> bool:
    assert c.n is not None
    ballots = {
        tuple(e["msg"]["ballot"])
        for e in f.of("send")
        if e["msg"].get("type") == "prepare" and e.get("src") != e.get("dst")
    }
    return len(ballots) >= c.n


def _lost_at_least(f: Facts, c: Condition) -> bool:
    assert c.n is not None
    return len(f.of("drop")) >= c.n


def _duplicates_at_least(f: Facts, c: Condition) -> bool:
    assert c.n is not None
    return sum(1 for e in f.of("send") if "copy_of" in e) >= c.n


def _violation(f: Facts, c: Condition) -> bool:
    return any(c.invariant is None or e.get("invariant") == c.invariant for e in f.of("violation"))


def _no_violation(f: Facts, c: Condition) -> bool:
    return not f.of("violation")


@dataclass(frozen=True, slots=True)
class Check:
    """A predicate, the parameters it takes (required ones first) and how to say it."""

    judge: Callable[[Facts, Condition], bool]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    sentence: str  # with {caravan}, {value}, {t}, {n}, {invariant} filled in


CHECKS: dict[str, Check] = {
    "time_at_least": Check(_time_at_least, ("t",), (), "the desert's clock has reached t={t}"),
    "decided": Check(_decided, (), ("value",), "a caravan knows the campsite{value_part}"),
    "nothing_decided_before": Check(
        _nothing_decided_before, ("t",), (), "no caravan knows a campsite before t={t}"
    ),
    "chosen": Check(_chosen, (), ("value",), "a campsite has been chosen{value_part}"),
    "nothing_chosen_before": Check(
        _nothing_chosen_before, ("t",), (), "no campsite is chosen before t={t}"
    ),
    "knows": Check(_knows, ("caravan",), ("value",), "{caravan} knows the campsite{value_part}"),
    "all_alive_know": Check(
        _all_alive_know, (), ("value",), "every caravan on its feet knows the campsite{value_part}"
    ),
    "learned_by_asking": Check(
        _learned_by_asking,
        ("caravan",),
        (),
        "{caravan} learns the campsite by asking (an inquiry answered with the decision)",
    ),
    "crashes_at_most": Check(
        _crashes_at_most, ("n",), (), "at most {n} collapse(s) in the whole day"
    ),
    "crashes_at_least": Check(_crashes_at_least, ("n",), (), "at least {n} collapse(s)"),
    "collapsed": Check(_collapsed, ("caravan",), (), "{caravan} is collapsed"),
    "sandstorm_raised": Check(_sandstorm_raised, (), (), "a sandstorm has split the desert"),
    "adopted": Check(
        _adopted, (), ("caravan", "value"), "a proposer carried an earlier vote forward{value_part}"
    ),
    "proposed": Check(_proposed, (), ("caravan", "value"), "a banner was raised{value_part}"),
    "refusals_at_least": Check(
        _refusals_at_least, ("n",), (), "at least {n} refusal(s) (NACK) reached a proposer"
    ),
    "ballots_at_least": Check(
        _ballots_at_least, ("n",), (), "at least {n} different banners (ballots) were raised"
    ),
    "lost_at_least": Check(_lost_at_least, ("n",), (), "at least {n} rider(s) were lost"),
    "duplicates_at_least": Check(
        _duplicates_at_least, ("n",), (), "at least {n} rider(s) set out twice (duplicates)"
    ),
    "violation": Check(_violation, (), ("invariant",), "a safety rule is broken{invariant_part}"),
    "no_violation": Check(_no_violation, (), (), "no safety rule is broken"),
}

# Which Python type each parameter must have in a lesson file.
PARAMETER_TYPES: dict[str, type] = {
    "caravan": str,
    "value": str,
    "t": int,
    "n": int,
    "invariant": str,
}


def describe(condition: Condition) -> str:
    """The condition in words, as a challenge's checklist shows it."""
    check = CHECKS[condition.kind]
    value_part = f" ({condition.value})" if condition.value not in (None, "any") else ""
    invariant_part = f" ({condition.invariant})" if condition.invariant else ""
    return check.sentence.format(
        caravan=condition.caravan,
        value=condition.value,
        t=condition.t,
        n=condition.n,
        invariant=condition.invariant,
        value_part=value_part,
        invariant_part=invariant_part,
    )


def holds(condition: Condition, facts: Facts) -> bool:
    return CHECKS[condition.kind].judge(facts, condition)
