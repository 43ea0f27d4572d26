"""Shared helpers: the client container and the probes it runs."""

import pytest
import testinfra

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


def tcp_probe(client, target, port, timeout=3):
    """True when the client completes a TCP handshake with target:port."""
    code = (
        f"import socket,sys; s=socket.socket(); s.settimeout({timeout}); "
        f"sys.exit(0 if s.connect_ex(('{target}', {port})) == 0 else 1)"
    )
    return client.run(f'python3 -c "{code}"').rc == 0


def failed_login(client, target):
    """One SSH login attempt that sshd logs as a failure (unknown user)."""
    return client.run(
        "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        f"-o BatchMode=yes -o ConnectTimeout=5 nosuchuser@{target} true"
    )
