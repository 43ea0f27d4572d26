"""Unit tests of plugins/module_utils/_ovh.py: signing, retries, error mapping, polling."""

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))

import requests  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils import _ovh  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError, WaitTimeout  # noqa: E402


class FakeResponse:
    def __init__(self, status, payload=None, headers=None, text=None):
        self.status_code = status
        self._payload = payload if payload is not None else {"message": "boom %d" % status}
        self.headers = headers or {}
        self.text = text if text is not None else json.dumps(self._payload)

    def json(self):
        return json.loads(self.text)


def make_api(**kwargs):
    sleeps = []
    api = _ovh.OvhApi(application_key="AK", application_secret="AS", consumer_key="CK",
                      api_url=kwargs.pop("api_url", "http://127.0.0.1:9/1.0"), sleep=sleeps.append, **kwargs)
    return api, sleeps


def test_signature_matches_an_independent_computation(monkeypatch):
    api, _sleeps = make_api(api_url="https://api.example.test/1.0/")
    captured = {}

    def request(method, url, headers=None, data=None, timeout=None):
        captured.update(method=method, url=url, headers=dict(headers), data=data)
        return FakeResponse(200, {"ok": True})

    monkeypatch.setattr(api.client._session, "request", request)
    monkeypatch.setattr(_ovh.ovh.client.time, "time", lambda: 1700000000.4)
    api.client._time_delta = 5  # server clock 5 s ahead
    assert api.post("/cloud/project/p1/sshkey", {"name": "k", "publicKey": "ssh-ed25519 A"}) == {"ok": True}

    url = "https://api.example.test/1.0/cloud/project/p1/sshkey"
    body = '{"name":"k","publicKey":"ssh-ed25519 A"}'
    raw = "AS+CK+POST+" + url + "+" + body + "+1700000005"
    expected = "$1$" + hashlib.sha1(raw.encode()).hexdigest()  # noqa: S324 - the protocol's hash
    assert captured["url"] == url
    assert captured["data"] == body
    assert captured["headers"]["X-Ovh-Application"] == "AK"
    assert captured["headers"]["X-Ovh-Consumer"] == "CK"
    assert captured["headers"]["X-Ovh-Timestamp"] == "1700000005"
    assert captured["headers"]["X-Ovh-Signature"] == expected


def test_query_string_is_part_of_the_signed_url(monkeypatch):
    api, _sleeps = make_api()
    seen = []
    monkeypatch.setattr(api.client, "raw_call",
                        lambda method, path, data=None, need_auth=True: seen.append(path) or FakeResponse(200, []))
    api.get("/cloud/project/p1/instance", query={"region": "GRA11", "skip": None})
    assert seen == ["/cloud/project/p1/instance?region=GRA11"]


def test_endpoints_come_from_the_client():
    api = _ovh.OvhApi(endpoint="ovh-ca", application_key="A", application_secret="B", consumer_key="C")
    assert api.client._endpoint == "https://ca.api.ovh.com/1.0"


def test_missing_credentials_are_named():
    with pytest.raises(ValueError, match="application_secret, consumer_key"):
        _ovh.OvhApi(application_key="A")


def scripted(monkeypatch, api, outcomes):
    """Answer each request with the next outcome: an exception to raise, a
    FakeResponse, or a JSON value sent with HTTP 200."""
    calls = []

    def raw_call(method, path, data=None, need_auth=True):
        calls.append((method, path))
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, FakeResponse):
            return outcome
        return FakeResponse(200, outcome)

    monkeypatch.setattr(api.client, "raw_call", raw_call)
    return calls


def test_retries_5xx_and_429_with_backoff(monkeypatch):
    api, sleeps = make_api()
    calls = scripted(monkeypatch, api, [
        FakeResponse(503),
        FakeResponse(429, headers={"Retry-After": "7"}),
        FakeResponse(502),
        {"id": 1},
    ])
    assert api.get("/x") == {"id": 1}
    assert len(calls) == 4
    assert sleeps == [1.0, 7.0, 4.0]


def test_gives_up_after_the_retry_budget(monkeypatch):
    api, sleeps = make_api(retries=2)
    scripted(monkeypatch, api, [FakeResponse(503)] * 3)
    with pytest.raises(ApiError) as info:
        api.put("/cloud/project/p/instance/i", {"name": "web"})
    assert info.value.status == 503
    assert info.value.call == "PUT /cloud/project/p/instance/i"
    assert "gave up after 3 attempts" in str(info.value)
    assert sleeps == [1.0, 2.0]


def test_network_errors_are_retried(monkeypatch):
    api, sleeps = make_api()
    scripted(monkeypatch, api, [requests.exceptions.ConnectionError("Connection refused"), [1, 2]])
    assert api.get("/x") == [1, 2]
    assert sleeps == [1.0]


def test_404_means_absent_when_asked(monkeypatch):
    api, _sleeps = make_api()
    gone = {"message": "nope"}
    scripted(monkeypatch, api, [FakeResponse(404, gone), FakeResponse(404, gone)])
    assert api.get("/x", absent_ok=True) is None
    with pytest.raises(ApiError) as info:
        api.get("/x")
    assert info.value.status == 404
    assert str(info.value) == "GET /x failed with HTTP 404: nope"


def test_client_errors_are_not_retried(monkeypatch):
    api, sleeps = make_api()
    scripted(monkeypatch, api, [FakeResponse(400, {"message": "Invalid parameter flavorId"})])
    with pytest.raises(ApiError) as info:
        api.post("/cloud/project/p/instance", {})
    assert info.value.status == 400
    assert "POST /cloud/project/p/instance failed with HTTP 400: Invalid parameter flavorId" in str(info.value)
    assert sleeps == []


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_poll_until_done():
    api, sleeps = make_api()
    states = iter(["BUILD", "BUILD", "ACTIVE"])
    out = api.poll("GET /i", lambda: {"status": next(states)}, lambda v: v["status"] == "ACTIVE",
                   timeout=60, interval=2)
    assert out == {"status": "ACTIVE"}
    assert sleeps == [2, 2]


def test_poll_failed_state():
    api, _sleeps = make_api()
    with pytest.raises(ApiError, match="failed state: status=ERROR"):
        api.poll("GET /i", lambda: {"status": "ERROR"}, lambda v: v["status"] == "ACTIVE",
                 lambda v: v["status"] == "ERROR")


def test_poll_timeout():
    clock = Clock()
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock.now += seconds

    api = _ovh.OvhApi(application_key="A", application_secret="B", consumer_key="C", sleep=sleep)
    with pytest.raises(WaitTimeout) as info:
        api.poll("GET /db", lambda: {"status": "CREATING"}, lambda v: v["status"] == "READY",
                 timeout=10, interval=3, clock=clock)
    assert "timed out after 10s" in str(info.value)
    assert "status=CREATING" in str(info.value)
    assert info.value.call == "GET /db"
    assert len(sleeps) == 4


def test_wait_operation(monkeypatch):
    api, _sleeps = make_api()
    calls = scripted(monkeypatch, api, [{"id": "op", "status": "in-progress"}, {"id": "op", "status": "completed"}])
    assert api.wait_operation("p 1", "op", interval=0)["status"] == "completed"
    assert calls[0] == ("GET", "/cloud/project/p%201/operation/op")
    scripted(monkeypatch, api, [{"id": "op", "status": "in-error"}])
    with pytest.raises(ApiError, match="in-error"):
        api.wait_operation("p", "op", interval=0)


def test_single_refuses_to_guess():
    assert _ovh.single([], "things") is None
    assert _ovh.single([{"id": 1}], "things") == {"id": 1}
    with pytest.raises(ApiError, match=r"found 2 instances named 'web'.*ids: a, b"):
        _ovh.single([{"id": "a"}, {"id": "b"}], "instances named 'web'")


def test_instance_addresses():
    inst = {"ipAddresses": [{"ip": "10.0.0.5", "type": "private", "version": 4},
                            {"ip": "2001:db8::1", "type": "public", "version": 6},
                            {"ip": "51.0.0.1", "type": "public", "version": 4}]}
    assert _ovh.instance_addresses(inst) == {"public_ipv4": "51.0.0.1", "public_ipv6": "2001:db8::1",
                                             "private": ["10.0.0.5"]}
    assert _ovh.instance_addresses({}) == {"public_ipv4": None, "public_ipv6": None, "private": []}


def test_curated_instance_speaks_the_shared_vocabulary():
    inst = {"id": "i-1", "name": "web-1", "region": "GRA11", "status": "ACTIVE",
            "flavor": {"id": "gra11-b2-7", "name": "b2-7"}, "image": {"id": "img-1", "name": "Debian 12"},
            "ipAddresses": [{"ip": "fd00::5", "type": "private", "version": 6},
                            {"ip": "10.0.0.5", "type": "private", "version": 4},
                            {"ip": "51.0.0.1", "type": "public", "version": 4}]}
    curated = _ovh.curated_instance(inst)
    assert {k: v for k, v in curated.items() if k not in ("raw", "addresses")} == {
        "id": "i-1", "name": "web-1", "region": "GRA11", "status": "ACTIVE", "flavor": "b2-7", "image": "Debian 12",
        "public_ipv4": "51.0.0.1", "public_ipv6": None, "private_ipv4": "10.0.0.5"}
    assert curated["raw"] == inst
    # what check mode plans: names only, no address yet
    planned = _ovh.curated_instance({"name": "web-1", "region": "GRA11", "flavor": "b2-7", "image": "Debian 12",
                                     "status": "BUILD"})
    assert (planned["flavor"], planned["image"], planned["public_ipv4"], planned["private_ipv4"]) == (
        "b2-7", "Debian 12", None, None)


def test_quote_segment():
    assert _ovh.quote_segment("10.0.0.0/16") == "10.0.0.0%2F16"


class ModuleStub:
    def __init__(self, params):
        self.params = params
        self.check_mode = False

    def fail_json(self, **kwargs):
        raise RuntimeError(kwargs)


def test_missing_library_is_reported_with_missing_required_lib(monkeypatch):
    monkeypatch.setattr(_ovh, "HAS_OVH", False)
    monkeypatch.setattr(_ovh, "OVH_IMPORT_ERROR", "Traceback: No module named 'ovh'")
    with pytest.raises(RuntimeError) as info:
        _ovh.OvhModule(ModuleStub({}))
    failure = info.value.args[0]
    assert "Failed to import the required Python library (ovh)" in failure["msg"]
    assert failure["exception"] == "Traceback: No module named 'ovh'"


def test_missing_credentials_fail_the_module(monkeypatch):
    for name in ("OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError) as info:
        _ovh.OvhModule(ModuleStub({"endpoint": "ovh-eu", "application_key": "AK"}))
    assert "missing OVHcloud credentials: application_secret, consumer_key" in info.value.args[0]["msg"]


GATEWAY_PAGE = ("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
                + "<p>" + "upstream unavailable " * 30 + "</p></body></html>")


def test_non_json_error_bodies_keep_the_status_and_an_excerpt_and_reads_are_retried(monkeypatch):
    api, sleeps = make_api(retries=1)
    scripted(monkeypatch, api, [FakeResponse(502, text=GATEWAY_PAGE), FakeResponse(502, text=GATEWAY_PAGE)])
    with pytest.raises(ApiError) as info:
        api.get("/cloud/project/p/instance")
    assert info.value.status == 502
    assert info.value.call == "GET /cloud/project/p/instance"
    assert "502 Bad Gateway" in info.value.message
    assert "gave up after 2 attempts" in info.value.message
    assert len(info.value.message) < 300
    assert sleeps == [1.0]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_for_reads_and_puts(monkeypatch, status):
    api, _sleeps = make_api()
    calls = scripted(monkeypatch, api, [FakeResponse(status, text="<html>%d</html>" % status), {"id": 1},
                                        FakeResponse(status, text="<html>%d</html>" % status), {"id": 2}])
    assert api.get("/x") == {"id": 1}
    assert api.put("/x", {"a": 1}) == {"id": 2}
    assert len(calls) == 4


@pytest.mark.parametrize("outcome", [
    FakeResponse(500),
    FakeResponse(503, text="<html>Service Unavailable</html>"),
    requests.exceptions.ReadTimeout("Read timed out. (read timeout=2)"),
    requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"),
], ids=["500", "503-html", "timeout", "reset"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_creates_and_deletes_with_an_unknown_outcome_are_never_sent_again(monkeypatch, method, outcome):
    api, sleeps = make_api()
    calls = scripted(monkeypatch, api, [outcome, {"id": "dup"}])
    with pytest.raises(_ovh.UncertainWrite) as info:
        api.call(method, "/cloud/project/p/sshkey", body={"name": "k"} if method == "POST" else None)
    assert len(calls) == 1
    assert sleeps == []
    assert info.value.call == "%s /cloud/project/p/sshkey" % method
    assert "not sent again" in str(info.value)


@pytest.mark.parametrize("outcome", [
    requests.exceptions.ConnectionError("HTTPConnectionPool: Failed to establish a new connection: "
                                        "[Errno 111] Connection refused"),
    requests.exceptions.ConnectTimeout("connect timeout"),
    FakeResponse(429),
], ids=["refused", "connect-timeout", "429"])
def test_a_post_that_provably_never_reached_the_server_is_sent_again(monkeypatch, outcome):
    api, _sleeps = make_api()
    calls = scripted(monkeypatch, api, [outcome, {"id": "k1"}])
    assert api.post("/cloud/project/p/sshkey", {"name": "k"}) == {"id": "k1"}
    assert len(calls) == 2


def test_a_success_that_is_not_json_is_reported_with_its_status(monkeypatch):
    api, _sleeps = make_api()
    scripted(monkeypatch, api, [FakeResponse(200, text="<html>maintenance</html>")])
    with pytest.raises(ApiError) as info:
        api.get("/x")
    assert info.value.status == 200
    assert "not JSON: <html>maintenance</html>" in str(info.value)


def test_a_failed_clock_synchronisation_means_the_request_was_not_sent(monkeypatch):
    api, sleeps = make_api()
    calls = scripted(monkeypatch, api, [_ovh.ovh_exceptions.InvalidResponse("Failed to decode API response"),
                                        {"id": "k1"}])
    assert api.post("/cloud/project/p/sshkey", {"name": "k"}) == {"id": "k1"}
    assert len(calls) == 2
    assert sleeps == [1.0]
