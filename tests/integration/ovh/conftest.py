"""Fixtures of the OVHcloud integration tests: a fresh fake API per test and
a play() helper running ansible-playbook against it."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ovh_fake_api import FakeOvh
from ovh_harness import make_play


@pytest.fixture
def fake():
    server = FakeOvh().start()
    yield server
    server.stop()


@pytest.fixture
def play(fake, tmp_path):
    return make_play(fake, tmp_path)
