"""Helpers shared by the laravel scenario tests."""

import json
import math

ROOT = "/srv/app"


def http(host, method, path, body=None):
    """Call nginx on the host itself; return (status, headers, body)."""
    cmd = ["curl", "-s", "-D", "/dev/stderr", "-o", "-", "-X", method, "-H", "Accept: application/json"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
    cmd.append(f"http://127.0.0.1{path}")
    res = host.run(" ".join(f"'{c}'" for c in cmd))
    assert res.rc == 0, res.stderr
    head = res.stderr.splitlines()
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers, res.stdout


def haversine_m(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def live_release(host):
    return host.file(f"{ROOT}/current").linked_to.rsplit("/", 1)[-1]
