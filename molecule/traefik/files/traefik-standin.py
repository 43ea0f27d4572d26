#!/usr/bin/python3
"""STAND-IN for the Traefik binary, built by molecule/traefik/prepare.yml.

The real binary is a GitHub release download that cannot be fetched here.
This script honours `traefik version` (reporting the version it was built
for, codename "stand-in") and, when started with --configFile, reads the
static configuration, binds every entry point address (proving the unit's
CAP_NET_BIND_SERVICE lets a non-root user take ports 80 and 443), probes
which paths the hardened unit lets it write, records all of it in
<data dir>/standin-status.json and answers every request with a fixed text.
It does no routing, TLS or ACME.
"""

import json
import os
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "@VERSION@"


def can_write(directory):
    path = os.path.join(directory, ".standin-probe")
    try:
        with open(path, "w") as handle:
            handle.write("probe")
        os.unlink(path)
        return True
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"traefik stand-in\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main(argv):
    if argv[1:2] == ["version"]:
        print("Version:      %s\nCodename:     stand-in\nGo version:   none\nOS/Arch:      linux/stand-in" % VERSION)
        return 0
    config = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith("--configFile=")), None)
    if not config:
        print("stand-in: --configFile=<file> is required", file=sys.stderr)
        return 2
    with open(config) as handle:
        text = handle.read()
    addresses = re.findall(r"^\s+address:\s*['\"]?([^'\"\s]+)", text, re.M)
    storage = re.search(r"^\s+storage:\s*['\"]?([^'\"\s]+)", text, re.M)
    data_dir = os.path.dirname(storage.group(1)) if storage else "/var/lib/traefik"
    servers = []
    for address in addresses:
        host, port = address.rsplit(":", 1)
        server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    status = {
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "bound": addresses,
        "writable": {d: can_write(d) for d in (data_dir, os.path.dirname(config), "/opt", "/usr/local/bin")},
        "hostname": socket.gethostname(),
    }
    with open(os.path.join(data_dir, "standin-status.json"), "w") as handle:
        json.dump(status, handle)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
