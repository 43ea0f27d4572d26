"""Shared helpers: the client container and the probes it runs."""

import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_crash import wait_until  # noqa: F401
from webstack_testlib import tcp_probe  # noqa: F401

CLIENT = "fail2ban-client"


@pytest.fixture(scope="session")
def client():
    return testinfra.get_host(f"docker://{CLIENT}")


@pytest.fixture(scope="session")
def client_ip(client):
    return client.run("hostname -I").stdout.split()[0]


@pytest.fixture(scope="module")
def name(host):
    return host.backend.get_hostname()


def failed_login(client, target):
    """One SSH login attempt that sshd logs as a failure (unknown user)."""
    return client.run(
        "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        f"-o BatchMode=yes -o ConnectTimeout=5 nosuchuser@{target} true"
    )
