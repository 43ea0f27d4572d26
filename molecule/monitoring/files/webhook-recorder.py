#!/usr/bin/env python3
"""Records every webhook POST body as one JSON line (test receiver)."""

import json
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG = "/var/lib/webhook-recorder/alerts.jsonl"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(json.loads(body)) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", 5001), Handler).serve_forever()
