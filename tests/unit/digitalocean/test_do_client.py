"""Unit tests of the DigitalOcean HTTP client (no network: the transport is faked)."""

import json

import pytest
from ansible_collections.baobab.webstack.plugins.module_utils import _digitalocean as do
from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError, WaitTimeout

API = "https://api.example.test/v2"


class Script:
    """A transport answering from a list of (status, body, headers)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def __call__(self, method, url, body, headers, timeout):
        self.sent.append({"method": method, "url": url, "body": body, "headers": headers, "timeout": timeout})
        status, payload, headers_out = self.answers.pop(0)
        data = json.dumps(payload).encode() if payload is not None else b""
        return do.Response(status, headers_out, data)


class Clock:
    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def client(transport, clock=None, **kwargs):
    clock = clock or Clock()
    return do.DigitalOceanClient(transport, "t0ken", api_url=API, sleep=clock.sleep, clock=clock.time, **kwargs), clock


def test_sends_bearer_token_json_and_returns_body():
    t = Script((201, {"ssh_key": {"id": 1}}, {}))
    c, _ = client(t)
    assert c.post("account/keys", {"name": "k"}) == {"ssh_key": {"id": 1}}
    sent = t.sent[0]
    assert sent["method"] == "POST"
    assert sent["url"] == API + "/account/keys"
    assert sent["headers"]["Authorization"] == "Bearer t0ken"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {"name": "k"}


def test_missing_token_is_a_clear_error():
    with pytest.raises(ApiError, match="DIGITALOCEAN_TOKEN"):
        do.DigitalOceanClient(Script(), None)


def test_pagination_follows_links_and_asks_for_200_per_page():
    t = Script(
        (200, {"droplets": [{"id": 1}, {"id": 2}], "links": {"pages": {"next": API + "/droplets?page=2&per_page=200"}},
               "meta": {"total": 5}}, {}),
        (200, {"droplets": [{"id": 3}, {"id": 4}], "links": {"pages": {"next": API + "/droplets?page=3&per_page=200"}},
               "meta": {"total": 5}}, {}),
        (200, {"droplets": [{"id": 5}], "links": {"pages": {"prev": API + "/droplets?page=2"}},
               "meta": {"total": 5}}, {}),
    )
    c, _ = client(t)
    items = c.paginate("droplets", "droplets", query={"tag_name": "app"}, per_page=500)
    assert [d["id"] for d in items] == [1, 2, 3, 4, 5]
    assert t.sent[0]["url"] == API + "/droplets?per_page=200&tag_name=app"
    assert t.sent[1]["url"].endswith("page=2&per_page=200")
    assert len(t.sent) == 3


def test_pagination_loop_is_detected():
    loop = API + "/droplets?page=1"
    t = Script((200, {"droplets": [], "links": {"pages": {"next": loop}}}, {}),
               (200, {"droplets": [], "links": {"pages": {"next": loop}}}, {}))
    c, _ = client(t)
    with pytest.raises(ApiError, match="loops"):
        c.paginate("droplets", "droplets")


def test_429_waits_for_retry_after_then_succeeds():
    t = Script((429, {"id": "too_many_requests", "message": "API Rate limit exceeded."}, {"Retry-After": "7"}),
               (200, {"account": {}}, {}))
    c, clock = client(t)
    assert c.get("account") == {"account": {}}
    assert clock.sleeps == [7.0]


def test_429_without_retry_after_waits_until_ratelimit_reset():
    t = Script((429, {"id": "too_many_requests", "message": "slow down"}, {"ratelimit-reset": "1012"}),
               (200, {}, {}))
    c, clock = client(t, clock=Clock(1000.0))
    c.get("account")
    assert clock.sleeps == [12.0]


def test_retry_sleep_is_capped():
    t = Script((429, {}, {"Retry-After": "3600"}), (200, {}, {}))
    c, clock = client(t)
    c.get("account")
    assert clock.sleeps == [do.MAX_RETRY_SLEEP]


def test_5xx_is_retried_with_backoff_then_succeeds():
    t = Script((503, {"id": "service_unavailable", "message": "down"}, {}), (500, None, {}), (200, {"ok": 1}, {}))
    c, clock = client(t, backoff=0.5)
    assert c.get("droplets/1") == {"ok": 1}
    assert clock.sleeps == [0.5, 1.0]


def test_5xx_gives_up_after_max_retries_with_call_and_status():
    t = Script(*[(502, {"id": "bad_gateway", "message": "upstream"}, {})] * 3)
    c, clock = client(t, max_retries=2)
    with pytest.raises(ApiError) as err:
        c.get("droplets/1")
    assert err.value.status == 502
    assert err.value.call == "GET /v2/droplets/1"
    text = str(err.value)
    assert "GET /v2/droplets/1 failed with HTTP 502" in text
    assert "upstream" in text and "2 retries" in text
    assert len(t.sent) == 3 and len(clock.sleeps) == 2


def test_connection_failure_is_retried_then_reported():
    class Down:
        calls = 0

        def __call__(self, *args):
            Down.calls += 1
            return do.Response(-1, {}, b"", error="Connection refused")

    c, _ = client(Down(), max_retries=1)
    with pytest.raises(ApiError, match="GET /v2/account failed: no response: Connection refused"):
        c.get("account")
    assert Down.calls == 2


@pytest.mark.parametrize("status,payload,expected", [
    (404, {"id": "not_found", "message": "The resource you were accessing could not be found."},
     "DELETE /v2/droplets/9 failed with HTTP 404: The resource you were accessing could not be found. (not_found)"),
    (422, {"id": "unprocessable_entity", "message": "Name already exists", "request_id": "r-1"},
     "DELETE /v2/droplets/9 failed with HTTP 422: Name already exists (unprocessable_entity) (request id r-1)"),
    (401, {"id": "unauthorized", "message": "Unable to authenticate you"},
     "DELETE /v2/droplets/9 failed with HTTP 401: Unable to authenticate you (unauthorized)"),
])
def test_error_messages_name_call_and_status(status, payload, expected):
    c, _ = client(Script((status, payload, {})))
    with pytest.raises(ApiError) as err:
        c.delete("droplets/9")
    assert str(err.value) == expected
    assert err.value.body == payload


def test_4xx_is_not_retried():
    t = Script((422, {"id": "unprocessable_entity", "message": "bad"}, {}))
    c, clock = client(t)
    with pytest.raises(ApiError):
        c.post("vpcs", {})
    assert len(t.sent) == 1 and clock.sleeps == []


def test_get_or_none_maps_404_to_none():
    c, _ = client(Script((404, {"id": "not_found", "message": "x"}, {})))
    assert c.get_or_none("vpcs/abc") is None


def test_action_polling_until_completed():
    t = Script(
        (200, {"action": {"id": 5, "status": "in-progress", "type": "create"}}, {}),
        (200, {"action": {"id": 5, "status": "in-progress", "type": "create"}}, {}),
        (200, {"action": {"id": 5, "status": "completed", "type": "create"}}, {}),
    )
    c, clock = client(t)
    assert c.wait_action(5, timeout=60, interval=2)["status"] == "completed"
    assert clock.sleeps == [2, 2]
    assert t.sent[0]["url"] == API + "/actions/5"


def test_action_polling_times_out_with_clear_message():
    t = Script(*[(200, {"action": {"id": 5, "status": "in-progress"}}, {})] * 20)
    c, clock = client(t)
    with pytest.raises(WaitTimeout) as err:
        c.wait_action(5, timeout=10, interval=3)
    assert "GET /v2/actions/5" in str(err.value)
    assert "timed out after 10 seconds" in str(err.value)
    assert sum(clock.sleeps) >= 9


def test_errored_action_fails_fast():
    t = Script((200, {"action": {"id": 6, "status": "errored", "type": "enable_backups"}}, {}))
    c, _ = client(t)
    with pytest.raises(ApiError, match="action 6 \\(enable_backups\\) errored"):
        c.wait_action(6, timeout=60, interval=1)


def test_module_transport_uses_fetch_url(monkeypatch):
    seen = {}

    class Resp:
        def read(self):
            return b'{"account": {"status": "active"}}'

    def fake_fetch(module, url, data=None, headers=None, method=None, timeout=None):
        seen.update(url=url, method=method, timeout=timeout, headers=headers)
        return Resp(), {"status": 200, "retry-after": "1", "msg": "OK"}

    monkeypatch.setattr(do, "fetch_url", fake_fetch)
    c = do.DigitalOceanClient(do.module_transport(object()), "tok", api_url=API, timeout=9)
    assert c.get("account")["account"]["status"] == "active"
    assert seen["method"] == "GET" and seen["timeout"] == 9
    assert seen["url"] == API + "/account"


def test_module_transport_reads_error_body(monkeypatch):
    def fake_fetch(module, url, data=None, headers=None, method=None, timeout=None):
        return None, {"status": 404, "body": b'{"id": "not_found", "message": "gone"}', "msg": "HTTP Error 404"}

    monkeypatch.setattr(do, "fetch_url", fake_fetch)
    c = do.DigitalOceanClient(do.module_transport(object()), "tok", api_url=API)
    with pytest.raises(ApiError, match="HTTP 404: gone"):
        c.get("vpcs/x")


class Failing(Script):
    """A transport whose answers may be network failures: (-1, error text)."""

    def __call__(self, method, url, body, headers, timeout):
        self.sent.append({"method": method, "url": url})
        answer = self.answers.pop(0)
        if answer[0] == -1:
            return do.Response(-1, {}, b"", error=answer[1])
        status, payload = answer
        return do.Response(status, {}, json.dumps(payload).encode() if payload is not None else b"")


REFUSED = "Request failed: <urlopen error [Errno 111] Connection refused>"
TIMED_OUT = "Connection failure: timed out"


def test_a_post_refused_before_sending_is_sent_again():
    t = Failing((-1, REFUSED), (201, {"vpc": {"id": "v"}}))
    c, _ = client(t)
    assert c.post("vpcs", {"name": "web"}) == {"vpc": {"id": "v"}}
    assert len(t.sent) == 2


@pytest.mark.parametrize("answer", [(-1, TIMED_OUT), (500, {"id": "server_error", "message": "Server Error"}),
                                    (503, None)], ids=["timeout", "500", "503"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_create_or_delete_with_an_unknown_outcome_is_never_sent_again(method, answer):
    t = Failing(answer, (201, {"vpc": {"id": "v"}}))
    c, clock = client(t)
    with pytest.raises(do.UncertainWrite) as info:
        c.request(method, "vpcs", body={"name": "web"})
    assert len(t.sent) == 1
    assert clock.sleeps == []
    assert info.value.call == "%s /v2/vpcs" % method
    assert "not sent again" in str(info.value)
    if answer[0] > 0:
        assert info.value.status == answer[0]


def test_rate_limited_posts_are_retried():
    t = Failing((429, {"id": "too_many_requests", "message": "slow down"}), (201, {"vpc": {"id": "v"}}))
    c, _ = client(t)
    assert c.post("vpcs", {"name": "web"})["vpc"]["id"] == "v"
    assert len(t.sent) == 2


@pytest.mark.parametrize("answer", [(-1, TIMED_OUT), (502, None), (504, None)])
def test_idempotent_writes_and_marked_posts_are_retried(answer):
    t = Failing(answer, (200, {"ok": True}), answer, (200, {"ok": True}))
    c, _ = client(t)
    assert c.put("firewalls/f", {"name": "fw"}) == {"ok": True}
    assert c.post("tags/web/resources", {"resources": []}, idempotent=True) == {"ok": True}
    assert len(t.sent) == 4


def test_non_json_error_bodies_keep_status_and_excerpt():
    def send(method, url, body, headers, timeout):
        return do.Response(404, {}, b"<html><body>Not Found</body></html>" + b"x" * 500)

    c, _ = client(send)
    with pytest.raises(ApiError) as info:
        c.get("droplets/1")
    assert info.value.status == 404
    assert info.value.message.startswith("<html><body>Not Found")
    assert len(info.value.message) <= 200
