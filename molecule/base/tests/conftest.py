"""Shared helpers: the client container and the probes it runs."""

import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import tcp_probe  # noqa: F401

CLIENT = "base-client"
KEY = "/root/.ssh/id_deploy"
SSH_OPTS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


@pytest.fixture(scope="session")
def client():
    return testinfra.get_host(f"docker://{CLIENT}")


@pytest.fixture(scope="module")
def name(host):
    return host.backend.get_hostname()


def ssh(client, target, user, command="true", extra="", prefix=""):
    return client.run(f"{prefix}ssh {SSH_OPTS} {extra} {user}@{target} {command}")
