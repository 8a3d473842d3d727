#!/usr/bin/env python3
"""/metrics over loopback, parsed by the Prometheus text-format parser of Debian's python3-prometheus-client.

Starts the real llamachat (offline backend) on 127.0.0.1 with a free port, sends a known number of
requests per route and status, and checks that the counters equal them exactly.
Usage: metrics_exact_counts.py <llamachat binary>
Exit status 77 (skipped) when prometheus_client is not installed.
"""
import http.client
import json
import os
import re
import subprocess
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("python3-prometheus-client is not installed (scripts/setup.sh test installs it)")
    sys.exit(77)

CHATS, STREAMS, HEALTH, MISSING = 7, 3, 4, 2


def request(port, method, target, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request(method, target, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def samples(text):
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def main():
    binary = sys.argv[1]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LLAMACHAT_BACKEND": "offline",
           "LLAMACHAT_LOG_FORMAT": "json"}
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0"], env=env, stderr=subprocess.PIPE,
                            text=True)
    try:
        port = None
        for line in proc.stderr:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "the service did not report its port"

        chat_headers = {"Content-Type": "application/json"}
        for i in range(CHATS):
            status, headers, _ = request(port, "POST", "/chat", json.dumps({"message": f"hello {i}"}), chat_headers)
            assert status == 200, status
            assert headers.get("X-Request-Id"), headers
        for i in range(STREAMS):
            status, _, body = request(port, "POST", "/chat", json.dumps({"message": "hi", "stream": True}),
                                      chat_headers)
            assert status == 200 and b"event: done" in body, (status, body)
        for _ in range(HEALTH):
            assert request(port, "GET", "/healthz")[0] == 200
        for _ in range(MISSING):
            assert request(port, "GET", "/no/such/path")[0] == 404

        status, headers, body = request(port, "GET", "/metrics")
        assert status == 200, status
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
        text = body.decode("utf-8")
        got = samples(text)

        def value(name, **labels):
            return got.get((name, frozenset(labels.items())))

        expected = {
            ("llamachat_requests_total", (("route", "/chat"), ("status", "200"))): CHATS + STREAMS,
            ("llamachat_requests_total", (("route", "/healthz"), ("status", "200"))): HEALTH,
            ("llamachat_requests_total", (("route", "unmatched"), ("status", "404"))): MISSING,
            ("llamachat_request_duration_seconds_count", (("route", "/chat"),)): CHATS + STREAMS,
            ("llamachat_request_duration_seconds_bucket", (("route", "/chat"), ("le", "+Inf"))): CHATS + STREAMS,
            ("llamachat_time_to_first_token_seconds_count", ()): STREAMS,
            ("llamachat_active_streams", ()): 0,
            ("llamachat_upstream_retries_total", ()): 0,
        }
        failures = []
        for (name, labels), want in expected.items():
            have = value(name, **dict(labels))
            if have != want:
                failures.append(f"{name}{dict(labels)}: expected {want}, got {have}")
        # The scrape itself is counted after it is answered: none yet.
        if value("llamachat_requests_total", route="/metrics", status="200") is not None:
            failures.append("the scrape counted itself before it was answered")
        for (name, _labels) in got:
            if not name.startswith("llamachat_"):
                failures.append(f"metric without the llamachat_ prefix: {name}")
        # A second scrape sees the first.
        second = samples(request(port, "GET", "/metrics")[2].decode("utf-8"))
        if second.get(("llamachat_requests_total", frozenset({("route", "/metrics"), ("status", "200")}))) != 1:
            failures.append("the first scrape is not counted in the second")
        if failures:
            print("\n".join(failures))
            print(text)
            return 1
        print(f"ok: {len(got)} samples, counts exact")
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
