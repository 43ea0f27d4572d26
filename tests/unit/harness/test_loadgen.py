"""molecule/_shared/loadgen.py against local servers on loopback: a request
that a server's close of a kept-alive connection cuts off before any answer
is retried once on a new connection (as browsers do) and reported; any other
failure counts."""

import http.server
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

LOADGEN = Path(__file__).resolve().parents[3] / "molecule" / "_shared" / "loadgen.py"


class KeepAliveThenDrop(http.server.BaseHTTPRequestHandler):
    """Answers 200 with keep-alive, then silently drops the connection every
    third request, without saying so (what nginx does to idle keep-alive
    connections on a reload)."""

    protocol_version = "HTTP/1.1"
    served = 0

    def do_GET(self):
        cls = type(self)
        cls.served += 1
        body = b"ok"
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Release", "r1")
        self.end_headers()
        self.wfile.write(body)
        if cls.served % 3 == 0:
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server(request):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KeepAliveThenDrop)
    srv.status = getattr(request, "param", 200)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def run_loadgen(base, tmp_path, seconds=2):
    out = subprocess.run(
        [
            sys.executable,
            str(LOADGEN),
            "--base",
            base,
            "--path",
            "/up",
            "--concurrency",
            "2",
            "--stop-file",
            str(tmp_path / "stop"),
            "--max-seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_request_cut_off_on_a_kept_alive_connection_is_retried_and_reported(server, tmp_path):
    report = run_loadgen(f"http://127.0.0.1:{server.server_address[1]}", tmp_path)
    assert report["requests"] > 20, report
    assert report["failures"] == 0, report
    assert report["stale_connection_retries"] > 0, report
    assert report["releases"] == {"r1": report["requests"]}


@pytest.mark.parametrize("server", [503], indirect=True)
def test_an_error_status_is_a_failure(server, tmp_path):
    report = run_loadgen(f"http://127.0.0.1:{server.server_address[1]}", tmp_path, seconds=1)
    assert report["requests"] > 0
    assert report["failures"] == report["requests"], report


def test_a_refused_connection_is_a_failure_and_never_retried(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket is closed
    report = run_loadgen(f"http://127.0.0.1:{port}", tmp_path, seconds=1)
    assert report["requests"] > 0
    assert report["failures"] == report["requests"], report
    assert report["stale_connection_retries"] == 0, report
    assert "ConnectionRefusedError" in report["failure_samples"][0]["error"], report


def test_a_new_connection_closed_before_any_answer_is_a_failure_and_never_retried(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        stop = threading.Event()

        def hang_up():
            # accept and close at once: every request dies on a new connection
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                conn.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        try:
            report = run_loadgen(f"http://127.0.0.1:{listener.getsockname()[1]}", tmp_path, seconds=1)
        finally:
            stop.set()
            thread.join(timeout=5)
    assert report["requests"] > 0
    assert report["failures"] == report["requests"], report
    assert report["stale_connection_retries"] == 0, report
