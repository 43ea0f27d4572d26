"""Run a cloud module in-process against a small HTTP server on 127.0.0.1.

The server answers with a function the test gives it, records every request,
and can hold a request until the test releases it (a slow POST): the test
decides when the server answers, so nothing depends on timing. Warnings are
collected through ``AnsibleModule.warn`` into a list the test owns.
"""

import contextlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

#: the longest any test waits for something that should happen at once
PATIENCE = 120


class Exchange:
    def __init__(self, method, path, query, body, headers):
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return "%s %s" % (self.method, self.path)


class LocalApi:
    """``handler(exchange) -> (status, payload[, headers])``; ``payload`` is a
    dict, list or number (sent as JSON), bytes or str (sent as is) or None."""

    def __init__(self, handler):
        self.handler = handler
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                exchange = Exchange(self.command, path, query, body, dict(self.headers.items()))
                with outer.lock:
                    outer.requests.append(exchange)
                answer = outer.handler(exchange)
                status, payload = answer[0], answer[1]
                headers = answer[2] if len(answer) > 2 else {}
                if isinstance(payload, (dict, list, int, float)):
                    data = json.dumps(payload).encode()
                    headers = dict({"Content-Type": "application/json"}, **headers)
                elif isinstance(payload, str):
                    data = payload.encode()
                else:
                    data = payload or b""
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timed out) before the answer

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_port

    def calls(self, method=None, path=None):
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or r.path == path)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(PATIENCE)


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


def run_module(main, args):
    """Run ``main()`` of a module with ``args``; return ``(result, failed, warnings)``."""
    warnings = []

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs, False)

    def fail_json(self, msg, **kwargs):
        raise ModuleExit(dict(kwargs, msg=msg), True)

    def warn(self, warning):
        warnings.append(warning)

    with contextlib.ExitStack() as stack:
        stack.enter_context(patch_module_args(args))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "exit_json", exit_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "fail_json", fail_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "warn", warn))
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        try:
            main()
        except ModuleExit as done:
            return done.result, done.failed, warnings
    raise AssertionError("the module returned without exit_json or fail_json")
