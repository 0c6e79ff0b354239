"""The JSON Schema of scenario files, for editors (``desert-paxos schema``).

The loader in ``_load.py`` is the authority (it also checks what a schema
cannot, such as caravan names that must exist); a test keeps the two in step
by validating every built-in and a set of bad documents against both.
"""

from __future__ import annotations

from typing import Any

from .._untrusted import CONTROL_PATTERN
from ..protocol import VARIANTS
from ..protocol.multi import JOURNEY_VARIANTS
from ._journey import MAX_AMOUNT, MAX_REQUESTS, MAX_TRAVELLERS, PROTOCOLS
from ._load import (
    MAX_CARAVANS,
    MAX_LINKS,
    MAX_NAME_CHARS,
    MAX_PROPOSALS,
    MAX_SEED,
    MAX_TEXT_CHARS,
    MAX_TICK,
    MAX_TIMELINE,
    NOTE_MAX_CHARS,
)

__all__ = ["scenario_json_schema"]

# Text is plain: no control characters or line separators (a description may hold newlines
# and tabs), within the format's fixed limits.
_PLAIN = {"not": {"pattern": CONTROL_PATTERN}}
_TEXT = {
    "type": "string",
    "maxLength": MAX_TEXT_CHARS,
    "not": {"pattern": "[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029]"},
}
_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": "\\S", **_PLAIN}
_TICK = {"type": "integer", "minimum": 0, "maximum": MAX_TICK}
_POSITIVE = {"type": "integer", "minimum": 1, "maximum": MAX_TICK}
_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
_DELAY = {
    "description": "Uniform {min, max} ticks, or exponential {mean} ticks.",
    "oneOf": [
        {
            "type": "object",
            "properties": {"min": _TICK, "max": _TICK},
            "required": ["min", "max"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"mean": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_TICK}},
            "required": ["mean"],
            "additionalProperties": False,
        },
    ],
}
_NOTE = {
    "type": "string",
    "minLength": 1,
    "maxLength": NOTE_MAX_CHARS,
    # Something to say, on one line: no control characters (C0, DEL, C1) or line separators.
    "pattern": "\\S",
    **_PLAIN,
}
_RANGE = {
    "type": "object",
    "properties": {"min": _POSITIVE, "max": _POSITIVE},
    "additionalProperties": False,
}


_AMOUNT = {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT}
_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "op": {"enum": ["get", "put", "cas"]},
        "key": _NAME,
        "value": _AMOUNT,
        "expected": {"anyOf": [_AMOUNT, {"type": "null"}]},
    },
    "required": ["op", "key"],
    "additionalProperties": False,
}
_TRAVELLER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": _NAME,
        "requests": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_REQUESTS,
            "items": _REQUEST,
        },
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_REQUESTS},
        "keys": {"type": "array", "minItems": 1, "items": _NAME},
        "mix": {
            "type": "object",
            "additionalProperties": False,
            "properties": {op: {"type": "integer", "minimum": 0} for op in ("get", "put", "cas")},
        },
        "think": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "minItems": 2,
            "maxItems": 2,
        },
        "patience": {"type": "integer", "minimum": 1},
        "first": _NAME,
    },
    "anyOf": [{"required": ["requests"]}, {"required": ["count"]}],
}


def scenario_json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Desert Paxos scenario",
        "type": "object",
        "additionalProperties": False,
        # One campsite: proposals; the long journey ("protocol": "multi-paxos"): travellers.
        "if": {"properties": {"protocol": {"const": "multi-paxos"}}, "required": ["protocol"]},
        "then": {"required": ["travellers"], "not": {"required": ["proposals"]}},
        "else": {"required": ["proposals"], "not": {"required": ["travellers"]}},
        "properties": {
            "protocol": {
                "enum": list(PROTOCOLS),
                "description": 'One campsite ("paxos", the default) or the long journey '
                '("multi-paxos": a command for every night, travellers instead of proposals).',
            },
            "travellers": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TRAVELLERS,
                "items": _TRAVELLER,
                "description": "The journey's clients: explicit requests or a workload each.",
            },
            "$schema": _TEXT,
            "name": {**_NAME, "description": "Short name shown in traces and narration."},
            "description": {**_TEXT, "description": "The one point this scenario teaches."},
            "seed": {
                **_TICK,
                "maximum": MAX_SEED,
                "description": "Seed of the run's only random generator.",
            },
            "caravans": {
                "type": "array",
                "items": _NAME,
                "minItems": 1,
                "maxItems": MAX_CARAVANS,
                "uniqueItems": True,
                "description": "Caravan names; default the five of the desert.",
            },
            "quorum": {**_POSITIVE, "description": "Quorum for both phases; default a majority."},
            "quorums": {
                "type": "object",
                "properties": {"phase1": _POSITIVE, "phase2": _POSITIVE},
                "additionalProperties": False,
                "description": "Separate phase-1 and phase-2 quorums (Flexible Paxos).",
            },
            "variant": {
                "enum": list(dict.fromkeys([*VARIANTS, *JOURNEY_VARIANTS])),  # a journey's too
                "description": "The protocol, or a broken variant.",
            },
            "network": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "delay": _DELAY,
                    "loss": _PROBABILITY,
                    "duplicate": _PROBABILITY,
                    "links": {
                        "type": "array",
                        "maxItems": MAX_LINKS,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["from", "to"],
                            "properties": {
                                "from": _NAME,
                                "to": _NAME,
                                "delay": _DELAY,
                                "loss": _PROBABILITY,
                                "duplicate": _PROBABILITY,
                            },
                        },
                    },
                },
            },
            "timing": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "phase_timeout": _POSITIVE,
                    "backoff": _RANGE,
                    "patience": _RANGE,
                },
            },
            "proposals": {
                "type": "array",
                "maxItems": MAX_PROPOSALS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["at", "caravan", "campsite"],
                    "properties": {"at": _TICK, "caravan": _NAME, "campsite": _NAME},
                },
            },
            "timeline": {
                "type": "array",
                "maxItems": MAX_TIMELINE,
                "items": {
                    "type": "object",
                    "required": ["at"],
                    "oneOf": [
                        {
                            "properties": {
                                "at": _TICK,
                                "sandstorm": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {"type": "array", "minItems": 1, "items": _NAME},
                                },
                            },
                            "required": ["sandstorm"],
                            "additionalProperties": False,
                        },
                        {
                            "properties": {"at": _TICK, "calm": {"const": True}},
                            "required": ["calm"],
                            "additionalProperties": False,
                        },
                        {
                            "properties": {"at": _TICK, "crash": _NAME},
                            "required": ["crash"],
                            "additionalProperties": False,
                        },
                        {
                            "properties": {"at": _TICK, "recover": _NAME},
                            "required": ["recover"],
                            "additionalProperties": False,
                        },
                        {
                            "description": "From then on riders take this delay, are lost "
                            "or duplicated this often (a hand-made change saved by the REPL).",
                            "properties": {
                                "at": _TICK,
                                "network": {
                                    "type": "object",
                                    "minProperties": 1,
                                    "additionalProperties": False,
                                    "properties": {
                                        "delay": _DELAY,
                                        "loss": _PROBABILITY,
                                        "duplicate": _PROBABILITY,
                                    },
                                },
                            },
                            "required": ["network"],
                            "additionalProperties": False,
                        },
                        {
                            "description": "The rider with this id, if still on the sand, "
                            "is lost (a hand-made drop saved by the REPL).",
                            "properties": {"at": _TICK, "drop": _POSITIVE},
                            "required": ["drop"],
                            "additionalProperties": False,
                        },
                        {
                            "description": "A teacher's note, told by every view at its "
                            "moment; it changes nothing in the desert.",
                            "properties": {"at": _TICK, "note": _NOTE},
                            "required": ["note"],
                            "additionalProperties": False,
                        },
                        {
                            "description": "On a journey: a traveller asks one more request "
                            "(the REPL's /request writes these).",
                            "properties": {
                                "at": _TICK,
                                "request": {
                                    **_REQUEST,
                                    "properties": {
                                        **_REQUEST["properties"],
                                        "traveller": _NAME,
                                    },
                                    "required": ["traveller", "op", "key"],
                                },
                            },
                            "required": ["request"],
                            "additionalProperties": False,
                        },
                    ],
                },
            },
            "until": {**_POSITIVE, "description": "The run stops at this tick at the latest."},
            "expect": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "decided": {
                        **_NAME,
                        "description": 'A campsite, "any" or "none": what the run must end with.',
                    }
                },
            },
        },
    }
