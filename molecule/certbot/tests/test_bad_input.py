"""Bad certificate definitions are refused before the role changes anything,
each message naming the entry (certbot_certificates[i].domains[j]), and nginx
keeps serving the certificates it has."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import refused_run

SCENARIO = Path(__file__).resolve().parents[1]
TARGET = "certbot-deb12"

testinfra_hosts = [TARGET]

CASES = {
    # several bad domains in one run: every one is named
    "domains": (
        [
            {"name": "web", "domains": [TARGET, "bad domain.example"]},
            {"name": "wild", "domains": ["*.certbot-deb12.test"]},
            {"name": "labels", "domains": ["-lead.example", "a" * 64 + ".example", "trailing.example."]},
        ],
        [
            "certbot_certificates[0].domains[1]: 'bad domain.example' is not a host name",
            "certbot_certificates[1].domains[0]: '*.certbot-deb12.test' is a wildcard, which only the DNS-01 challenge",
            "certbot_certificates[2].domains[0]: '-lead.example' is not a host name",
            "certbot_certificates[2].domains[1]: '" + "a" * 64 + ".example' has a label longer than 63 characters",
            "certbot_certificates[2].domains[2]: 'trailing.example.' has an empty label",
            "certbot_rsa_key_size: 1024 is not one of: 2048, 3072, 4096",
            "certbot_self_signed_days: 0 is out of range (1-3650)",
        ],
        {"certbot_rsa_key_size": 1024, "certbot_self_signed_days": 0},
    ),
    # shape errors are the argument specs' job
    "argument_specs": (
        [
            {"name": "web", "domain": [TARGET]},
            {"name": "www", "domains": ["www.certbot-deb12.test"], "authenticator": "dns"},
        ],
        [
            "missing required arguments: domains found in certbot_certificates",
            "certbot_certificates.domain. Supported parameters include",
            "value of authenticator must be one of: webroot, nginx, got: dns found in certbot_certificates",
            "argument 'certbot_self_signed_days' is of type",
        ],
        {"certbot_self_signed_days": "a year"},
    ),
}


def _state(host):
    return host.check_output(
        "sha256sum /etc/letsencrypt/live/*/fullchain.pem /usr/local/sbin/* 2>/dev/null; "
        "ls -R /etc/letsencrypt/renewal /etc/letsencrypt/live"
    )


def _https_serves_the_pebble_certificate(host):
    host.run_expect(
        [0],
        "curl -s -f --cacert /usr/local/share/pebble-ca.pem https://certbot-pebble:15000/roots/0 -o /tmp/root.pem",
    )
    res = host.run(
        f"echo | openssl s_client -connect 127.0.0.1:443 -servername {TARGET} -CAfile /tmp/root.pem "
        "-verify_return_error 2>&1"
    )
    assert res.rc == 0 and "Verify return code: 0 (ok)" in res.stdout, res.stdout
    page = host.run(f"curl -s -f --cacert /tmp/root.pem --resolve {TARGET}:443:127.0.0.1 https://{TARGET}/")
    assert page.rc == 0 and f"hello from {TARGET}" in page.stdout, page.stdout + page.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_certificates_are_refused_before_any_change(host, case):
    certificates, needles, extra = CASES[case]
    before = _state(host)
    refused_run(SCENARIO / "bad_input.yml", {"certbot_certificates": certificates, **extra}, needles, target=TARGET)
    assert _state(host) == before
    _https_serves_the_pebble_certificate(host)
