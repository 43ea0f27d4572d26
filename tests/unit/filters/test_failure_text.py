"""The failure_text filter: what a failed command said, in one line."""

import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))

from ansible_collections.baobab.webstack.plugins.filter.failure_text import FilterModule, failure_text  # noqa: E402


def test_stderr_wins_and_is_folded_to_one_line():
    result = {"rc": 1, "stderr": "  PDOException:\n   could not connect  \n", "stdout": "ignored"}
    assert failure_text(result) == "PDOException: could not connect"


def test_stdout_lines_when_stderr_is_empty_keep_their_end():
    lines = ["", "   In Connection.php line 1:  ", "", "Connection refused"]
    result = {"rc": 1, "stderr": "", "stdout_lines": lines}
    assert failure_text(result) == "In Connection.php line 1: Connection refused"
    assert failure_text(result, limit=18) == "Connection refused"


def test_stdout_without_lines_is_split_itself():
    assert failure_text({"stdout": "one\n\ntwo\n"}) == "one two"


def test_msg_when_the_command_said_nothing():
    assert failure_text({"rc": 2, "stderr": "", "stdout": "", "msg": "non-zero return code"}) == "non-zero return code"


@pytest.mark.parametrize("result", [None, {}, {"skipped": True}])
def test_nothing_to_say_is_empty(result):
    assert failure_text(result) == ""


@pytest.mark.parametrize("bad", [(["not", "a", "result"], 400), ({"stderr": "x"}, 0), ({"stderr": "x"}, True)])
def test_wrong_input_is_refused(bad):
    result, limit = bad
    with pytest.raises(AnsibleFilterError):
        failure_text(result, limit)


def test_registered_under_its_name():
    assert FilterModule().filters() == {"failure_text": failure_text}
