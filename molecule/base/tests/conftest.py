"""Shared helpers: the client container and the probes it runs."""

import pytest
import testinfra

CLIENT = "base-client"
KEY = "/root/.ssh/id_deploy"
SSH_OPTS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


@pytest.fixture(scope="session")
def client():
    return testinfra.get_host(f"docker://{CLIENT}")


@pytest.fixture(scope="module")
def name(host):
    return host.backend.get_hostname()


def tcp_probe(client, target, port, timeout=3):
    """True when the client completes a TCP handshake with target:port."""
    code = (
        f"import socket,sys; s=socket.socket(); s.settimeout({timeout}); "
        f"sys.exit(0 if s.connect_ex(('{target}', {port})) == 0 else 1)"
    )
    return client.run(f'python3 -c "{code}"').rc == 0


def ssh(client, target, user, command="true", extra="", prefix=""):
    return client.run(f"{prefix}ssh {SSH_OPTS} {extra} {user}@{target} {command}")
