"""Untrusted input: the one reader of JSON/TOML text and files, and the one escaper of text.

Each class of hostile input (deep nesting, huge integers, non-finite numbers, lone
surrogates, special files, oversize files) is an ``InputError`` naming the place,
never another exception; ``printable`` keeps a file from driving the terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desert_paxos._untrusted import (
    MAX_DEPTH,
    SCENARIO_LIMIT,
    InputError,
    JsonReader,
    control_character,
    decode_utf8,
    loads_json,
    loads_toml,
    printable,
    read_file,
)

HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        ("[" * 100_000 + "]" * 100_000, "", "nested too deeply"),
        (
            '{"a": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}",
            "a" + "[0]" * (MAX_DEPTH - 1),
            "nested more",
        ),
        ('{"seed": ' + HUGE + "}", "seed", "5,000 digits"),
        ('{"a": [1, {"b": -' + HUGE + "}]}", "a[1].b", "5,000 digits"),
        ('{"mean": Infinity}', "mean", "Infinity"),
        ('{"x": [-Infinity]}', "x[0]", "-Infinity"),
        ('{"loss": NaN}', "loss", "NaN"),
        ('{"mean": 1e400}', "mean", "too large"),
        ('{"names": ["ok", "\\ud800"]}', "names[1]", "surrogate"),
        ('{"\\udc00": 1}', "\\udc00", "surrogate"),
        ('{"name": "x", ', "", "not valid JSON at line 1"),
    ],
)
def test_json_reader_names_the_place(text: str, path: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        loads_json(text)
    assert err.value.path == path
    assert fragment in err.value.message


def test_json_reader_reads_ordinary_documents_as_json_does() -> None:
    text = json.dumps(
        {
            "a": [1, -2, 2.5, True, None, "Oasis ⛺ \U0001f42a"],
            "pair": "\U0001f600",
            "deep": [[[[[[1]]]]]],
            "big": 10**300,
        },
        ensure_ascii=True,  # the emoji become surrogate pairs: both halves, so text
    )
    assert loads_json(text) == json.loads(text)


def test_one_reader_reads_many_documents_independently() -> None:
    reader = JsonReader()
    with pytest.raises(InputError):
        reader.loads('{"x": NaN}')
    assert reader.loads('{"x": 1.5}') == {"x": 1.5}  # the flag of the bad line is gone


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("[" + ".".join("a" * 1 for _ in range(MAX_DEPTH + 2)) + "]\nx = 1", "nested more"),
        ("x = 1\nseed = " + HUGE, "at line 2"),
        ("[network]\nloss = inf", "network.loss"),
        ("[network]\nloss = nan", "network.loss"),
        ('name = "\\ud800"', "not valid TOML"),
    ],
)
def test_toml_is_held_to_the_same_rules(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        loads_toml(text)
    assert fragment in str(err.value)


def test_a_byte_order_mark_is_dropped_and_bad_utf8_named() -> None:
    assert decode_utf8(b'\xef\xbb\xbf{"a": 1}', "scenario file") == '{"a": 1}'
    with pytest.raises(InputError, match="byte 3 is not UTF-8"):
        decode_utf8(b'{"a\xff": 1}', "scenario file")


def test_read_file_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="character device"):
        read_file("/dev/zero", SCENARIO_LIMIT)
    with pytest.raises(InputError, match="directory"):
        read_file(tmp_path, SCENARIO_LIMIT)
    with pytest.raises(InputError, match="no such file"):
        read_file(tmp_path / "nowhere.json", SCENARIO_LIMIT)
    with pytest.raises(InputError, match="no such file"):
        read_file(tmp_path / "nowhere" / "deeper.json", SCENARIO_LIMIT)


def test_read_file_caps_the_size_and_says_how_to_raise_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2_500_000)
    monkeypatch.setenv("DESERT_PAXOS_MAX_SCENARIO_MB", "2")
    with pytest.raises(InputError) as err:
        read_file(path, SCENARIO_LIMIT)
    assert "2.5 MB is more than the 2 MB" in err.value.message
    assert "DESERT_PAXOS_MAX_SCENARIO_MB=3" in err.value.message
    monkeypatch.setenv("DESERT_PAXOS_MAX_SCENARIO_MB", "3")
    assert len(read_file(path, SCENARIO_LIMIT)) == 2_500_000
    monkeypatch.setenv("DESERT_PAXOS_MAX_SCENARIO_MB", "lots")
    with pytest.raises(InputError, match="must be a whole number of MB"):
        read_file(path, SCENARIO_LIMIT)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),  # clear the screen
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # set the window title
        ("Siwa\nt=  100  Itri decides", "Siwa\\nt=  100  Itri decides"),  # a forged line
        ("a\rb\tc\x7f\x9b", "a\\rb\\tc\\x7f\\x9b"),  # carriage return, DEL, C1 CSI
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        ("x\u2028y", "x\\u2028y"),
        ("lone \ud800", "lone \\ud800"),
    ],
)
def test_printable_escapes_what_a_terminal_acts_on(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(shown) == shown  # idempotent


def test_printable_leaves_ordinary_text_alone() -> None:
    for text in ("Oasis of Siwa", "Tamanrasset ⛺", "caf\u00e9 \U0001f42a", "a b\u00a0c", ""):
        assert printable(text) == text
    assert printable("two\nlines\x1b", lines=True) == "two\nlines\\x1b"


def test_control_character_names_the_first_one() -> None:
    assert control_character("Oasis") is None
    assert control_character("ab\x1bc") == (2, "control character U+001B")
    assert control_character("a\u2029") == (1, "control character U+2029")
    assert control_character("\ud800") == (0, "lone surrogate U+D800")
