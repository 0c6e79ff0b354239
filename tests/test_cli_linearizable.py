"""``desert-paxos linearizable``: exit codes 0/1/2/3, bad input named by line and field,
and the history view (``--html``) written atomically and never over the history."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.check import check_events
from desert_paxos.cli import main

Event = dict[str, Any]


def ev(process: Any, kind: str, f: str, key: Any = "x", value: Any = None) -> Event:
    event: Event = {"process": process, "type": kind, "f": f, "value": value}
    if key is not None:
        event["key"] = key
    return event


def op(process: Any, f: str, value: Any = None, key: Any = "x") -> list[Event]:
    return [
        ev(process, "invoke", f, key, None if f == "read" else value),
        ev(process, "ok", f, key, value),
    ]


FINE = [
    ev(0, "invoke", "write", value=1),
    ev(1, "invoke", "read"),
    ev(1, "ok", "read", value=None),
    ev(0, "ok", "write", value=1),
    *op(2, "read", 1),
    *op(0, "cas", [None, 2], key="y"),
    ev(3, "invoke", "write", value=9),
    ev(3, "info", "write"),
]
STALE = [*op(0, "write", 1), *op(1, "read", 1), *op(0, "write", 2), *op(1, "read", 1)]


def hard(writers: int = 22) -> list[Event]:
    """Concurrent writes, then a read of a value none wrote: a long search to a no."""
    events = [ev(p, "invoke", "write", value=p) for p in range(writers)]
    events += op(writers, "read", -1)
    return events + [ev(p, "ok", "write", value=p) for p in range(writers)]


def history_file(tmp_path: Path, events: list[Event], name: str = "h.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["linearizable", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_linearizable_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, history_file(tmp_path, FINE))
    assert code == 0 and err == ""
    assert "h.jsonl: linearizable (kv model): 5 operations on 2 keys" in out
    assert "(4 ok, 0 fail, 1 unknown)" in out


def test_not_linearizable_exits_1_naming_the_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, history_file(tmp_path, STALE))
    assert code == 1
    assert "not linearizable" in out
    assert (
        'the first operation that cannot be placed: process 1\'s read of "x" → 1 '
        "(invoked at line 7, ok at line 8)" in out
    )
    assert 'the longest linearizable prefix on key "x" (3 operations)' in out
    assert '3. process 0\'s write of "x" 2 (invoked at line 5, ok at line 6)' in out


def test_the_register_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unkeyed = [{k: v for k, v in e.items() if k != "key"} for e in STALE]
    code, out, _ = run(capsys, history_file(tmp_path, unkeyed), "--model", "register")
    assert code == 1 and "(register model): 4 operations (" in out
    assert "process 1's read → 1" in out
    code, _, err = run(capsys, history_file(tmp_path, STALE), "--model", "register")
    assert code == 2 and "h.jsonl:1: key: the register model has no keys" in err


def test_a_time_limit_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    view = tmp_path / "view.html"
    path = history_file(tmp_path, hard())
    code, out, _ = run(capsys, path, "--timeout", "0.001", "--html", view)
    assert code == 3
    assert "unknown (kv model)" in out
    assert 'the time limit of 0.001 s ended the search on key "x"' in out
    assert "raise --timeout (now 0.001 s)" in out
    page = view.read_text(encoding="utf-8")
    assert "The time limit of 0.001 s ended the search" in page
    assert page.count('<rect class="bar ') == 23 and 'class="point"' not in page


def test_a_state_limit_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, history_file(tmp_path, hard(10)), "--max-states", "50")
    assert code == 3 and "the limit of 50 states remembered for one key" in out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '{"process": 0, "type": "invoke", "f": "read", "key": "x"}\n{"process": 0}\n',
            ":2: type: missing",
        ),
        (
            '{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1}\n'
            '{"process": 0, "type": "ok", "f": "read", "key": "x"}\n',
            ":2: f: a completion repeats",
        ),
        (
            '\n\n{"process": 0, "type": "invoke", "f": "cas", "key": "x", "value": 5}\n',
            ":3: value:",
        ),
        (
            '{"process": 0, "type": "invoke", "f": "read", "key": "x", "value": 1e999}\n',
            ":1: value:",
        ),
        ("not json\n", ":1: not valid JSON at column 1"),
        ("\xff\n", "not UTF-8"),
    ],
)
def test_bad_input_exits_2_naming_the_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(text.encode("latin-1") if text == "\xff\n" else text.encode())
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith(f"desert-paxos linearizable: {path}")
    assert says in err
    assert err.count("\n") == 1  # one line, no traceback


def test_files_that_are_not_histories_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path, says in [
        (tmp_path / "missing.jsonl", "no such file"),
        (tmp_path, "this is a directory"),
        (Path("/dev/zero"), "a character device"),
    ]:
        code, _, err = run(capsys, path)
        assert code == 2 and says in err, err


def test_bad_options_exit_2(tmp_path: Path) -> None:
    path = history_file(tmp_path, FINE)
    for args in (["--timeout", "0"], ["--timeout", "nan"], ["--model", "queue"]):
        with pytest.raises(SystemExit) as caught:
            main(["linearizable", str(path), *args])
        assert caught.value.code == 2


def test_the_real_command_exits_with_its_codes(tmp_path: Path) -> None:
    env = dict(os.environ, NO_COLOR="1")
    for events, code in ((FINE, 0), (STALE, 1)):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "desert_paxos",
                "linearizable",
                str(history_file(tmp_path, events)),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == code and done.stderr == ""


# -- the history view ----------------------------------------------------------------------


def test_html_view_of_a_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / "view.html"
    code, out, _ = run(capsys, history_file(tmp_path, STALE), "--html", out_path)
    assert code == 1 and f"wrote {out_path}" in out
    page = out_path.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count('<rect class="bar ') == 4  # one bar per operation
    assert len(re.findall(r'class="bar prefix"', page)) == 3
    assert len(re.findall(r'class="bar blocked"', page)) == 1
    assert page.count('class="point"') == 3  # the prefix's linearization points
    assert "cannot be placed" in page
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file, renamed


def test_html_view_of_a_linearizable_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "view.html"
    code, _, _ = run(capsys, history_file(tmp_path, FINE), "--html", out_path)
    assert code == 0
    page = out_path.read_text(encoding="utf-8")
    result = check_events(FINE)
    placed = sum(len(k.order) for k in result.keys)
    assert page.count('<rect class="bar ') == 5
    assert page.count('class="point"') == placed == 4  # the unknown write never took effect
    assert page.count("faint") >= 1 and "never took effect" in page


def test_html_escapes_text_from_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sneaky = "<script>alert(1)</script>"
    events = [*op(sneaky, "write", sneaky, key=sneaky), *op(1, "read", sneaky, key=sneaky)]
    out_path = tmp_path / "view.html"
    code, _, _ = run(capsys, history_file(tmp_path, events), "--html", out_path)
    assert code == 0
    page = out_path.read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;" in page


def test_html_is_refused_over_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = history_file(tmp_path, STALE)
    before = path.read_bytes()
    code, out, err = run(capsys, path, "--html", path)
    assert code == 2 and out == ""
    assert "refusing to write the history view" in err and "same file as the history" in err
    assert path.read_bytes() == before
    os.symlink(path, tmp_path / "link.html")
    code, _, _ = run(capsys, path, "--html", tmp_path / "link.html")
    assert code == 2 and path.read_bytes() == before


def test_html_into_a_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, history_file(tmp_path, FINE), "--html", tmp_path / "no" / "v.html")
    assert code == 2 and "does not exist" in err and out == ""


def test_html_of_a_long_key_is_drawn_in_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desert_paxos.check._history_view import MAX_DRAWN

    events = [e for n in range(MAX_DRAWN + 50) for e in op(n % 3, "write", n)]
    events += op(0, "read", -1)
    out_path = tmp_path / "view.html"
    code, _, _ = run(capsys, history_file(tmp_path, events), "--html", out_path)
    assert code == 1
    page = out_path.read_text(encoding="utf-8")
    assert page.count('<rect class="bar ') == MAX_DRAWN
    assert f"of {MAX_DRAWN + 51:,} on this key" in page
    assert 'class="bar blocked"' in page  # the window holds the operation that cannot be placed
