#!/usr/bin/env python3
"""llamachat benchmarks against the physical limit of this machine; writes one Markdown report.

Run through bench/run.sh (`make bench`), which builds the Release binaries first. Everything runs on
127.0.0.1: a fake Bedrock upstream (bench/fake_upstream), llamachat pointed at it, and wrk as the client,
all sharing this machine's CPUs. Every figure that is compared is compared with a baseline measured in the
same run (the fake upstream's own ceiling, measured straight at it), never with a number from elsewhere.
With --baseline-bin (bench/run.sh --baseline REV builds it), a second llamachat runs beside the first against
the same fake upstream, every llamachat row is measured on both, back to back, and the report compares them
row by row: before and after in one run. --rows limits the run to some rows of the load table.

Every loop is bounded in time and count; every process started here is stopped here.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LUA = os.path.join(HERE, "request.lua")
CLK_TCK = os.sysconf("SC_CLK_TCK")

MODEL_ID = "us.meta.llama3-3-70b-instruct-v1:0"
INVOKE_PATH = "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke"
STREAM_PATH = "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke-with-response-stream"
CHAT_BODY = '{"message":"Hello! Tell me about the printing press."}'
CHAT_STREAM_BODY = '{"message":"Hello! Tell me about the printing press.","stream":true}'
# About the size and shape of what llamachat sends upstream (Llama 3 template with the system prompt).
UPSTREAM_BODY = json.dumps({
    "prompt": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + "You are a helpful assistant. " * 12 +
              "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello! Tell me about the printing press."
              "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    "max_gen_len": 512, "temperature": 0.5, "top_p": 0.9}, separators=(",", ":"))


class Endpoint:
    """One row family of the load table. Add endpoints here; each is measured at every connection count.
    `key` names the family in --rows: key + connection count names one row (chat50)."""

    def __init__(self, key, name, target, method, path, body=None, is_ceiling=False):
        self.key, self.name, self.target, self.method, self.path, self.body = key, name, target, method, path, body
        self.is_ceiling = is_ceiling


ENDPOINTS = [
    Endpoint("invoke", "fake upstream: InvokeModel (ceiling)", "upstream", "POST", INVOKE_PATH, UPSTREAM_BODY, True),
    Endpoint("chat", "llamachat: POST /chat", "llamachat", "POST", "/chat", CHAT_BODY),
    Endpoint("nginx", "nginx reverse proxy: InvokeModel (reference)", "nginx", "POST", INVOKE_PATH, UPSTREAM_BODY),
    Endpoint("stream", "fake upstream: InvokeModelWithResponseStream (ceiling)", "upstream", "POST", STREAM_PATH,
             UPSTREAM_BODY, True),
    Endpoint("sse", "llamachat: POST /chat (SSE stream)", "llamachat", "POST", "/chat", CHAT_STREAM_BODY),
    Endpoint("index", "llamachat: GET /", "llamachat", "GET", "/"),
]
# Which ceiling a llamachat row is compared with.
CEILING_OF = {
    "llamachat: POST /chat": "fake upstream: InvokeModel (ceiling)",
    "nginx reverse proxy: InvokeModel (reference)": "fake upstream: InvokeModel (ceiling)",
    "llamachat: POST /chat (SSE stream)": "fake upstream: InvokeModelWithResponseStream (ceiling)",
}
CONNECTIONS = [1, 50, 256]
ROWS_HELP = ("comma-separated rows of the load table, each an endpoint key and a connection count (chat50, "
             "sse256); keys: " + ", ".join(f"{ep.key} ({ep.name})" for ep in ENDPOINTS) +
             ". The ceiling of a chosen row is measured with it. Default: every key at " +
             ", ".join(map(str, CONNECTIONS)) + " connections and the other sections; with --rows, the load "
             "table only")


def plan_rows(spec):
    """The rows of the load table to run, as a set of (Endpoint, connections), from a --rows value (None: all
    of them), with the ceiling of every row that is compared with one; (None, message) when the value is bad."""
    if spec is None:
        return {(ep, c) for ep in ENDPOINTS for c in CONNECTIONS}, None
    by_key = {ep.key: ep for ep in ENDPOINTS}
    by_name = {ep.name: ep for ep in ENDPOINTS}
    rows = set()
    for item in filter(None, (x.strip() for x in spec.split(","))):
        m = re.fullmatch(r"([a-z]+)(\d+)", item)
        if not m or m.group(1) not in by_key or not 1 <= int(m.group(2)) <= 20000:
            return None, (f"unknown row '{item}': a key and a connection count (1-20000), e.g. chat50; keys: "
                          + ", ".join(by_key))
        ep, c = by_key[m.group(1)], int(m.group(2))
        rows.add((ep, c))
        if ep.name in CEILING_OF:
            rows.add((by_name[CEILING_OF[ep.name]], c))
    if not rows:
        return None, "--rows names no row"
    return rows, None


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(args, timeout=30):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ---------------------------------------------------------------- processes

class Proc:
    """A server started by this script; its "listening on 127.0.0.1:<port>" line gives the port.

    Its output goes to <workdir>/<name>.log, one of two ways (`log_to`):
    - "file": the process writes the file itself;
    - "pipe": the process writes into a pipe, as under a container platform (App Runner and ECS hand a
      task's stdout and stderr to their log router through a pipe), and a thread of this script drains it.
      The first and last LOG_KEEP bytes are kept and written to the file when the process stops.
    llamachat logs one line per request (tens of MB a second under load), so its destination has a cost of
    its own: page-cache and ext4 work for a file, a reader's copies for a pipe. --server-log picks it for
    llamachat; the figures of both are in docs/performance.md ("The production round").
    """

    LOG_KEEP = 64 * 1024

    def __init__(self, name, args, env, workdir, kind, log_to="file"):
        self.name, self.kind = name, kind
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log_to = log_to
        self.log_file = open(self.log_path, "w")
        self.log_head, self.log_tail, self.log_bytes = bytearray(), bytearray(), 0
        self.log_lock = threading.Lock()
        out = self.log_file
        read_end = None
        if log_to == "pipe":
            read_end, out = os.pipe()
        self.started = time.monotonic()
        self.popen = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        self.drain = None
        if read_end is not None:
            os.close(out)
            self.drain = threading.Thread(target=self._drain, args=(read_end,), daemon=True)
            self.drain.start()
        self.pid = self.popen.pid
        self.port = None

    def _drain(self, fd):
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    return
                with self.log_lock:
                    self.log_bytes += len(chunk)
                    room = self.LOG_KEEP - len(self.log_head)
                    if room > 0:
                        self.log_head += chunk[:room]
                        chunk = chunk[room:]
                    self.log_tail += chunk
                    if len(self.log_tail) > self.LOG_KEEP:
                        del self.log_tail[:len(self.log_tail) - self.LOG_KEEP]

    def log_text(self):
        """What the process has written so far (in "pipe" mode: its first LOG_KEEP bytes)."""
        if self.log_to == "pipe":
            with self.log_lock:
                return bytes(self.log_head).decode("utf-8", "replace")
        with open(self.log_path) as f:
            return f.read()

    def output_bytes(self):
        """Bytes the process has written to its output so far."""
        if self.log_to == "pipe":
            with self.log_lock:
                return self.log_bytes
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def wait_port(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log_text())
            if m:
                self.port = int(m.group(1))
                return self.port
            if self.popen.poll() is not None:
                break
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}")

    def stop(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        if self.drain is not None:
            self.drain.join(timeout=5)
            with self.log_lock:
                self.log_file.write(bytes(self.log_head).decode("utf-8", "replace"))
                left_out = self.log_bytes - len(self.log_head) - len(self.log_tail)
                if left_out > 0:
                    self.log_file.write(f"[... {left_out:,} bytes left out by bench/run.py ...]\n")
                self.log_file.write(bytes(self.log_tail).decode("utf-8", "replace"))
        self.log_file.close()

    # /proc figures, summed over the process and its direct children (nginx's workers).
    def pids(self):
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                return [self.pid] + [int(x) for x in f.read().split()]
        except OSError:
            return [self.pid]

    def cpu_seconds(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime, every thread
            except OSError:
                pass
        return total / CLK_TCK

    def status_kb(self, key):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith(key + ":"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def reset_peak_rss(self):
        """Resets VmHWM (Linux >= 4.0); False when not permitted."""
        try:
            for pid in self.pids():
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
            return True
        except OSError:
            return False

    def open_fds(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return 0


def start_upstream(bins, workdir, delay_ms, tag):
    p = Proc(f"fake-upstream-{tag}", [bins["upstream"], "--port", "0", "--delay-ms", str(delay_ms)], os.environ.copy(),
             workdir, "upstream port")
    p.wait_port()
    return p


def llamachat_env(upstream_port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LLAMACHAT_", "BEDROCK_"))}
    env.update({
        "AWS_REGION": "us-east-1",
        "BEDROCK_MODEL_ID": MODEL_ID,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{upstream_port}",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    })
    return env


def start_llamachat(bins, workdir, upstream_port, tag, log_to):
    p = Proc(f"llamachat-{tag}", [bins["llamachat"], "--host", "127.0.0.1", "--port", "0"],
             llamachat_env(upstream_port), workdir, "llamachat port", log_to)
    p.wait_port()
    return p


NGINX_CONF = """# nginx as a plain reverse proxy in front of the fake upstream: the reference for a proxy's overhead.
worker_processes auto;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/nginx-body;
  proxy_temp_path {workdir}/nginx-proxy;
  fastcgi_temp_path {workdir}/nginx-fastcgi;
  uwsgi_temp_path {workdir}/nginx-uwsgi;
  scgi_temp_path {workdir}/nginx-scgi;
  upstream fake {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(workdir, upstream_port):
    """nginx (when installed) proxying to the fake upstream; None when nginx is absent."""
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not exe:
        return None
    port = free_port()
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(workdir=workdir, upstream_port=upstream_port, port=port))
    p = Proc("nginx", [exe, "-c", conf, "-p", workdir], os.environ.copy(), workdir, "nginx port")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.popen.poll() is not None:
            raise RuntimeError(f"nginx did not start; see {p.log_path} and {workdir}/nginx-error.log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            p.port = port
            return p
        except OSError:
            time.sleep(0.01)
    p.stop()
    raise RuntimeError("nginx did not start listening within 10 s")


# ---------------------------------------------------------------- wrk

COMMANDS = []


def wrk(port, ep_method, ep_path, ep_body, connections, duration, timeout_s=5, pace_ms=0, threads=None,
        target_name="port"):
    threads = threads or max(1, min(2, connections))
    env = os.environ.copy()
    env.update({"BENCH_METHOD": ep_method, "BENCH_PATH": ep_path, "BENCH_BODY": ep_body or "",
                "BENCH_PACE_MS": str(pace_ms)})
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", f"{timeout_s}s",
            "-s", LUA, f"http://127.0.0.1:{port}{ep_path}"]
    body_name = {UPSTREAM_BODY: '"$UPSTREAM_BODY"', CHAT_BODY: "'" + CHAT_BODY + "'",
                 CHAT_STREAM_BODY: "'" + CHAT_STREAM_BODY + "'"}.get(ep_body or "", "'" + (ep_body or "") + "'")
    shown = f"BENCH_METHOD={ep_method} BENCH_PATH='{ep_path}'"
    if ep_body:
        shown += f" BENCH_BODY={body_name}"
    if pace_ms:
        shown += f" BENCH_PACE_MS={pace_ms}"
    shown += (f" wrk -t {threads} -c {connections} -d {duration}s --timeout {timeout_s}s -s bench/request.lua "
              f"http://127.0.0.1:<{target_name}>{ep_path}")
    if shown not in COMMANDS:
        COMMANDS.append(shown)
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=duration + timeout_s + 60)
    for line in out.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            r = json.loads(line[len("WRK_JSON "):])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
            r["error_count"] = sum(r["errors"].values())
            return r
    raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")


def measured_run(proc, port, ep, connections, duration, **kw):
    """One wrk run with the CPU time and peak RSS of `proc` (the process under test) over that run."""
    reset_ok = proc.reset_peak_rss()
    cpu0 = proc.cpu_seconds()
    r = wrk(port, ep.method, ep.path, ep.body, connections, duration, target_name=proc.kind, **kw)
    cpu = proc.cpu_seconds() - cpu0
    r["cpu_us_per_req"] = cpu / r["requests"] * 1e6 if r["requests"] else float("nan")
    r["cpu_cores"] = cpu / (r["duration_us"] / 1e6) if r["duration_us"] else float("nan")
    r["peak_rss_mb"] = proc.status_kb("VmHWM") / 1024 if reset_ok else float("nan")
    return r


# ---------------------------------------------------------------- scenarios

def load_table(servers, rows, args):
    """The rows of the load table, repeated; repetitions interleave so noise hits all rows. With a baseline
    llamachat (servers["baseline"]), each llamachat row runs on both binaries back to back, the one that
    goes first alternating from one repetition to the next. Returns (current, baseline) results, each
    {(endpoint name, connections): [runs]}."""
    results, baseline = {}, {}
    for rep in range(args.repeat):
        for c in sorted({c for _, c in rows}):
            for ep in ENDPOINTS:
                proc = servers.get(ep.target)
                if proc is None or (ep, c) not in rows:
                    continue
                runs = [("", proc, results)]
                if ep.target == "llamachat" and servers.get("baseline"):
                    runs.append(("baseline ", servers["baseline"], baseline))
                    if rep % 2:
                        runs.reverse()
                for label, p, into in runs:
                    log(f"rep {rep + 1}/{args.repeat}: {label}{ep.name}, {c} connection(s)")
                    r = measured_run(p, p.port, ep, c, args.duration)
                    log(f"  {r['rps']:,.0f} req/s, {r['cpu_us_per_req']:.1f} µs CPU/req, {r['error_count']} errors")
                    into.setdefault((ep.name, c), []).append(r)
    return results, baseline


def paced_latency(up0, chat0, args, base0=None):
    """Latency at 50 connections below saturation (each connection waits between requests), so that it is
    service time, not queueing: llamachat versus the fake upstream straight, both at zero upstream delay.
    With a baseline llamachat (base0), it is measured too, after the current one or before it in turn."""
    out = {"upstream": [], "chat": [], "baseline": []}
    up_ep = ENDPOINTS[0]
    chat_ep = ENDPOINTS[1]
    # A p99 over a few thousand requests moves with the machine's hiccups: more pairs than the load table.
    for rep in range(args.latency_repeat):
        log(f"rep {rep + 1}/{args.latency_repeat}: paced latency, 50 connections, {args.pace_ms} ms pace")
        out["upstream"].append(measured_run(up0, up0.port, up_ep, 50, args.duration, pace_ms=args.pace_ms))
        runs = [("chat", chat0)] + ([("baseline", base0)] if base0 else [])
        for name, p in (runs if rep % 2 == 0 else runs[::-1]):
            out[name].append(measured_run(p, p.port, chat_ep, 50, args.duration, pace_ms=args.pace_ms))
    return out


def slow_latency(up1, chat1, args):
    """50 connections against the 1 s upstream, straight and through llamachat."""
    log("slow upstream (1 s): 50 connections, straight and through llamachat")
    d = max(args.duration, 6)
    return {"upstream": measured_run(up1, up1.port, ENDPOINTS[0], 50, d, timeout_s=10),
            "chat": measured_run(chat1, chat1.port, ENDPOINTS[1], 50, d, timeout_s=10)}


def concurrency(chat1, args):
    """args.concurrent connections, each holding a 1 s reply open; peak RSS and open descriptors."""
    n = args.concurrent
    log(f"concurrency: {n} connections against the 1 s upstream for {args.concurrent_duration} s")
    chat1.reset_peak_rss()
    cpu0 = chat1.cpu_seconds()
    peak_fds = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak_fds[0] = max(peak_fds[0], chat1.open_fds())
            stop.wait(0.25)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        r = wrk(chat1.port, "POST", "/chat", CHAT_BODY, n, args.concurrent_duration, timeout_s=10, threads=2)
    finally:
        stop.set()
        t.join(timeout=5)
    cpu = chat1.cpu_seconds() - cpu0
    r["cpu_us_per_req"] = cpu / r["requests"] * 1e6 if r["requests"] else float("nan")
    r["peak_rss_mb"] = chat1.status_kb("VmHWM") / 1024
    r["peak_fds"] = peak_fds[0]
    # Little's law: replies held open at once = throughput x time each one takes.
    r["held_open"] = r["rps"] * r["latency_us"]["mean"] / 1e6
    return r


def http_post(port, path, body, timeout=2.0):
    """Minimal HTTP/1.1 POST; returns the status code (0 when the connection failed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            data = body.encode()
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
            head = b""
            while b"\r\n" not in head and len(head) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


def cold_start(bins, workdir, upstream_port, runs):
    """Process start (fork/exec) to the first 200 of POST /chat, through the real upstream path."""
    figures = []
    idle_rss = None
    for i in range(runs):
        env = llamachat_env(upstream_port)
        t0 = time.monotonic()
        p = subprocess.Popen([bins["llamachat"], "--host", "127.0.0.1", "--port", "0"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            port, t_listen, buf = None, None, b""
            deadline = t0 + 10
            while port is None and time.monotonic() < deadline:
                ready, _, _ = select.select([p.stderr], [], [], 0.5)
                if ready:
                    chunk = os.read(p.stderr.fileno(), 65536)
                    if not chunk:
                        break
                    buf += chunk
                    m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", buf)
                    if m:
                        port, t_listen = int(m.group(1)), time.monotonic()
            if port is None:
                raise RuntimeError("llamachat did not start: " + buf.decode(errors="replace"))
            status, attempts = 0, 0
            while status != 200 and attempts < 1000 and time.monotonic() < deadline:
                status = http_post(port, "/chat", CHAT_BODY)
                attempts += 1
            t_reply = time.monotonic()
            if status != 200:
                raise RuntimeError(f"no successful /chat within 10 s (last status {status})")
            figures.append({"listen_ms": (t_listen - t0) * 1e3, "first_reply_ms": (t_reply - t0) * 1e3})
            if i == 0:
                time.sleep(1.0)  # idle: after start-up and one reply
                with open(f"/proc/{p.pid}/status") as f:
                    idle_rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024
                # Drain stderr so the process never blocks on a full pipe.
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate(timeout=5)
    return figures, idle_rss


def micro_benchmarks(bins, args):
    log("Google Benchmark micro-benchmarks")
    cmd = [bins["bench"], "--benchmark_format=json", f"--benchmark_min_time={args.micro_min_time}"]
    COMMANDS.append(" ".join(cmd).replace(bins["bench"], os.path.relpath(bins["bench"], ROOT)))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    try:
        return json.loads(out.stdout)["benchmarks"]
    except (ValueError, KeyError):
        raise RuntimeError(f"llamachat_bench failed: {out.stderr[-2000:]}")


# ---------------------------------------------------------------- report

def median(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def agg(runs):
    """Median over repetitions of every figure of a row."""
    return {
        "rps": median([r["rps"] for r in runs]),
        "p50": median([r["latency_us"]["p50"] for r in runs]) / 1e3,
        "p99": median([r["latency_us"]["p99"] for r in runs]) / 1e3,
        "errors": sum(r["error_count"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "cpu": median([r["cpu_us_per_req"] for r in runs]),
        "cores": median([r["cpu_cores"] for r in runs]),
        "rss": max((r["peak_rss_mb"] for r in runs if r["peak_rss_mb"] == r["peak_rss_mb"]), default=float("nan")),
    }


def fmt(v, digits=1):
    if v is None or v != v:
        return "n/a"
    return f"{v:,.{digits}f}"


def machine_info(bins, build_dir):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else ""
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
            mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    osname = ""
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
            osname = m.group(1) if m else ""
    except OSError:
        pass
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) or "unknown"
    if sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]):
        commit += " + uncommitted changes"
    cache = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"(CMAKE_BUILD_TYPE|CMAKE_CXX_COMPILER):\w+=(.*)", line.strip())
                if m:
                    cache[m.group(1)] = m.group(2)
    except OSError:
        pass
    compiler = sh([cache.get("CMAKE_CXX_COMPILER", "c++"), "--version"]).splitlines()
    wrk_version = sh(["wrk", "--version"]).splitlines()
    return {
        "cpu": f"{cpu} x {os.cpu_count()} (client, upstream and llamachat share them; no pinning)",
        "memory": mem,
        "os": f"{osname}, Linux {platform.release()}",
        "commit": commit,
        "build": f"{cache.get('CMAKE_BUILD_TYPE', '?')}, {compiler[0] if compiler else '?'}",
        "wrk": wrk_version[0].split(" Copyright")[0] if wrk_version else "?",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def paired_ratio(runs, over):
    """Median of the ratios of two rows' req/s, paired per repetition (measured at the same moment of the run)."""
    return median([r["rps"] / u["rps"] for r, u in zip(runs, over) if u["rps"]])


def ceiling_ratio(load, ep, c, runs=None):
    """A row's throughput over its ceiling's in `load`; `runs` stands for the row's own runs (the baseline's).
    None when the row has no ceiling, or it or its ceiling was not measured."""
    runs = runs or load.get((ep.name, c))
    if ep.name not in CEILING_OF or (CEILING_OF[ep.name], c) not in load or not runs:
        return None
    return paired_ratio(runs, load[(CEILING_OF[ep.name], c)])


def balanced_ratios(runs, base_runs, key):
    """current / baseline of one figure, one estimate per two consecutive repetitions: the geometric mean of
    the ratio when the current build went first and the ratio when the baseline did. On a loaded machine the
    run that goes first is often faster (GET / by 6-25 % in an A/A run), and the two orders cancel that out."""
    ratios = [r[key] / b[key] if b[key] else float("nan") for r, b in zip(runs, base_runs)]
    return [math.sqrt(x * y) for x, y in zip(ratios[0::2], ratios[1::2]) if x > 0 and y > 0]


def ratio_cell(estimates, bold=False):
    """The median of the balanced estimates and, when there are several, their range (the noise of the run)."""
    if not estimates:
        return "n/a"
    mid = f"**{fmt(median(estimates), 3)}**" if bold else fmt(median(estimates), 3)
    return mid if len(estimates) == 1 else f"{mid} ({fmt(min(estimates), 2)}-{fmt(max(estimates), 2)})"


def percent(ratio):
    return "" if ratio is None else f"{fmt(ratio * 100)} %"


def render_comparison(load, base_load, args):
    """Baseline and current llamachat, row by row: the before-and-after of one run."""
    pairs = f"{args.repeat // 2} pair{'s' if args.repeat > 2 else ''}"
    L = ["## Before and after: the baseline against the current tree\n",
         "The baseline is the build named in the first table. Both builds ran in this run against the same fake "
         "upstream, each llamachat row on both binaries back to back, the one that goes first alternating from "
         f"one repetition to the next ({args.repeat} repetitions: {pairs} of them). *current / baseline* is, for "
         "req/s (above 1: the current tree is faster) and CPU µs per request (below 1: it is cheaper), the median "
         "over those pairs of the geometric mean of the two orders' ratios, with the range of the pairs in "
         "brackets: a difference inside the range is noise. *vs ceiling* is each build's req/s over the fake "
         "upstream's own in the same repetition.\n",
         "| Endpoint | Conns | Req/s baseline | Req/s current | current / baseline | vs ceiling baseline | "
         "vs ceiling current | CPU µs/req baseline | CPU µs/req current | CPU current / baseline | "
         "p99 ms baseline / current | Errors baseline / current |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for ep in ENDPOINTS:
        for c in sorted({c for _, c in load}):
            runs, base_runs = load.get((ep.name, c)), base_load.get((ep.name, c))
            if not runs or not base_runs:
                continue
            a, b = agg(runs), agg(base_runs)
            L.append(f"| {ep.name} | {c} | {fmt(b['rps'], 0)} | {fmt(a['rps'], 0)} | "
                     f"{ratio_cell(balanced_ratios(runs, base_runs, 'rps'), bold=True)} | "
                     f"{percent(ceiling_ratio(load, ep, c, base_runs))} | {percent(ceiling_ratio(load, ep, c))} | "
                     f"{fmt(b['cpu'])} | {fmt(a['cpu'])} | "
                     f"{ratio_cell(balanced_ratios(runs, base_runs, 'cpu_us_per_req'))} | "
                     f"{fmt(b['p99'], 2)} / {fmt(a['p99'], 2)} | {b['errors']} / {a['errors']} |")
    L.append("")
    return L


def render(info, load, base_load, extra, args, load_before, load_after):
    """The Markdown report. `extra` holds the figures of the sections after the load table, None when the run
    was limited to rows of the load table (--rows)."""
    L = []
    L.append("# llamachat benchmark report\n")
    L.append("| | |\n| --- | --- |")
    for k in ("date", "commit", "build", "cpu", "memory", "os", "wrk"):
        L.append(f"| {k} | {info[k]} |")
    if args.baseline_bin:
        label = args.baseline_label.replace("|", "\\|")
        L.append(f"| baseline | {label}, built in {os.path.relpath(args.baseline_bin, ROOT)} |")
    L.append(f"| load average (1 min) | {load_before:.2f} before, {load_after:.2f} after |")
    L.append(f"| settings | {args.duration} s per run, median of {args.repeat} interleaved repetitions; "
             f"fake upstream and llamachat with one worker thread per CPU |")
    L.append(f"| llamachat output | {SERVER_LOG_TEXT[args.server_log]}; "
             f"{info['log_bytes'] / 1e6:,.1f} MB written by the current build in the load table |")
    if args.rows:
        L.append(f"| rows | {args.rows} (with their ceilings); the other sections were not run |")
    L.append("")

    if base_load:
        L += render_comparison(load, base_load, args)

    # Load table.
    L.append("## Throughput and latency (zero-latency upstream)\n")
    L.append("Closed loop: each connection sends its next request when the previous reply is complete, so at 50 "
             "and 256 connections latency is mostly queueing (connections / throughput). *vs ceiling* is "
             "llamachat's throughput over the fake upstream's own, at the same connection count, same run. *CPU* "
             "and *peak RSS* are those of the process under test (the fake upstream for ceiling rows)." +
             (" llamachat rows are those of the current tree; the baseline's are in the table above." if base_load
              else "") + "\n")
    L.append("| Endpoint | Conns | Req/s | vs ceiling | p50 ms | p99 ms | Errors | CPU µs/req | CPU cores | Peak RSS MB |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for ep in ENDPOINTS:
        for c in sorted({c for _, c in load}):
            runs = load.get((ep.name, c))
            if not runs:
                continue
            a = agg(runs)
            L.append(f"| {ep.name} | {c} | {fmt(a['rps'], 0)} | {percent(ceiling_ratio(load, ep, c))} | "
                     f"{fmt(a['p50'], 2)} | {fmt(a['p99'], 2)} | {a['errors']} of {a['requests']:,} | "
                     f"{fmt(a['cpu'])} | {fmt(a['cores'], 2)} | {fmt(a['rss'])} |")
    L.append("")
    if extra is not None:
        L += render_sections(load, extra, args)
    L += render_commands(args)
    return "\n".join(L) + "\n"


def render_sections(load, extra, args):
    """Latency added, concurrency, start-up, micro-benchmarks and targets: the current build only."""
    paced, slow, conc = extra["paced"], extra["slow"], extra["conc"]
    cold, idle_rss, sizes, micro = extra["cold"], extra["idle_rss"], extra["sizes"], extra["micro"]
    L = []
    # Latency added.
    L.append("## Latency added over the upstream (50 connections)\n")
    if args.baseline_bin:
        L.append("From here on the figures are the current tree's build's; the paced rows add the baseline's "
                 "(measured after the current one or before it in turn), for the latency each adds.\n")
    pu, pc = agg(paced["upstream"]), agg(paced["chat"])
    su, sc = agg([slow["upstream"]]), agg([slow["chat"]])
    L.append(f"Paced: every connection waits a random 0-{2 * args.pace_ms} ms between requests (about "
             f"{50 * 1000 // max(1, args.pace_ms):,} req/s offered, below saturation, in no lockstep), so latency is "
             f"service time; median of {args.latency_repeat} interleaved pairs of runs. "
             "Slow: the fake upstream holds every reply 1 s (req/s there is at most 50 connections x 1 reply/s; "
             "whether the last reply of a connection ends inside the run decides the rest).\n")
    L.append("| Upstream | Path | Req/s | p50 ms | p99 ms | Errors | p50 added ms | p99 added ms |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    L.append(f"| zero latency, paced | fake upstream straight | {fmt(pu['rps'], 0)} | {fmt(pu['p50'], 3)} | "
             f"{fmt(pu['p99'], 3)} | {pu['errors']} | | |")
    L.append(f"| zero latency, paced | through llamachat | {fmt(pc['rps'], 0)} | {fmt(pc['p50'], 3)} | "
             f"{fmt(pc['p99'], 3)} | {pc['errors']} | **{fmt(pc['p50'] - pu['p50'], 3)}** | "
             f"**{fmt(pc['p99'] - pu['p99'], 3)}** |")
    if paced["baseline"]:
        pb = agg(paced["baseline"])
        L.append(f"| zero latency, paced | through the baseline llamachat | {fmt(pb['rps'], 0)} | "
                 f"{fmt(pb['p50'], 3)} | {fmt(pb['p99'], 3)} | {pb['errors']} | {fmt(pb['p50'] - pu['p50'], 3)} | "
                 f"{fmt(pb['p99'] - pu['p99'], 3)} |")
    L.append(f"| 1 s | fake upstream straight | {fmt(su['rps'], 0)} | {fmt(su['p50'], 1)} | {fmt(su['p99'], 1)} | "
             f"{su['errors']} | | |")
    L.append(f"| 1 s | through llamachat | {fmt(sc['rps'], 0)} | {fmt(sc['p50'], 1)} | {fmt(sc['p99'], 1)} | "
             f"{sc['errors']} | {fmt(sc['p50'] - su['p50'], 1)} | {fmt(sc['p99'] - su['p99'], 1)} |")
    sat_u = agg(load[(ENDPOINTS[0].name, 50)])
    sat_c = agg(load[(ENDPOINTS[1].name, 50)])
    L.append(f"| zero latency, saturated | straight / through llamachat | {fmt(sat_u['rps'], 0)} / "
             f"{fmt(sat_c['rps'], 0)} | {fmt(sat_u['p50'], 2)} / {fmt(sat_c['p50'], 2)} | "
             f"{fmt(sat_u['p99'], 2)} / {fmt(sat_c['p99'], 2)} | | {fmt(sat_c['p50'] - sat_u['p50'], 2)} | "
             f"{fmt(sat_c['p99'] - sat_u['p99'], 2)} |")
    L.append("")

    # Concurrency.
    L.append(f"## Concurrency: {args.concurrent:,} slow replies held open\n")
    if args.concurrent < args.concurrent_requested:
        L.append(f"The open-file limit of this machine ({args.nofile:,}, a hard limit this user cannot raise) caps one "
                 f"process at {args.concurrent:,} held replies: each needs two descriptors (client and upstream "
                 f"connection). {args.concurrent_requested:,} were asked for.\n")
    if conc is None:
        L.append("Skipped.\n")
    else:
        e = conc["errors"]
        L.append("| Connections | Duration s | Replies | Req/s | Held open (req/s x mean latency) | p50 ms | p99 ms | "
                 "Errors (connect/read/write/status/timeout) | Peak open fds | Peak RSS MB | CPU µs/req |")
        L.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
        L.append(f"| {args.concurrent:,} | {args.concurrent_duration} | {conc['requests']:,} | {fmt(conc['rps'], 0)} | "
                 f"{fmt(conc['held_open'], 0)} | {fmt(conc['latency_us']['p50'] / 1e3, 0)} | "
                 f"{fmt(conc['latency_us']['p99'] / 1e3, 0)} | {conc['error_count']} ({e['connect']}/{e['read']}/"
                 f"{e['write']}/{e['status']}/{e['timeout']}) | {conc['peak_fds']:,} | {fmt(conc['peak_rss_mb'])} | "
                 f"{fmt(conc['cpu_us_per_req'])} |")
        L.append("")

    # Start-up and footprint.
    L.append("## Start-up and footprint\n")
    first = [f["first_reply_ms"] for f in cold]
    listen = [f["listen_ms"] for f in cold]
    L.append("| Figure | Value |\n| --- | ---: |")
    L.append(f"| cold start: process start to listening (median of {len(cold)}) | {fmt(median(listen))} ms |")
    L.append(f"| cold start: process start to first successful POST /chat (median / max of {len(cold)}) | "
             f"{fmt(median(first))} ms / {fmt(max(first))} ms |")
    L.append(f"| idle RSS (after start-up, one reply, 1 s idle) | {fmt(idle_rss)} MB |")
    L.append(f"| binary size (as built / stripped) | {sizes[0] / 1e6:.2f} MB / {sizes[1] / 1e6:.2f} MB |")
    L.append("")

    # Micro-benchmarks.
    L.append("## Micro-benchmarks (Google Benchmark)\n")
    L.append("| Benchmark | Time per iteration | CPU per iteration | Throughput |")
    L.append("| --- | ---: | ---: | ---: |")
    for b in micro:
        if b.get("run_type") == "aggregate":
            continue
        unit = b.get("time_unit", "ns")
        thr = ""
        if "bytes_per_second" in b:
            thr = f"{b['bytes_per_second'] / 2**20:,.1f} MiB/s"
        elif "items_per_second" in b:
            thr = f"{b['items_per_second'] / 1e6:,.2f} M items/s"
        L.append(f"| {b['name']} | {b['real_time']:,.1f} {unit} | {b['cpu_time']:,.1f} {unit} | {thr} |")
    L.append("")

    # Targets.
    L.append("## Targets\n")
    L.append("| Target | Required | Measured | Met |\n| --- | --- | --- | --- |")
    by_key = {ep.key: ep for ep in ENDPOINTS}
    r50 = ceiling_ratio(load, by_key["chat"], 50)
    r50 = float("nan") if r50 is None else r50
    added = pc["p99"] - pu["p99"]

    def yes(ok):
        return "yes" if ok else "**no**"

    n50 = ceiling_ratio(load, by_key["nginx"], 50)
    nginx_note = f" (nginx: {n50 * 100:.1f} %)" if n50 else ""
    L.append(f"| /chat throughput at 50 connections vs the fake upstream's ceiling | >= 25 % | {r50 * 100:.1f} %"
             f"{nginx_note} | {yes(r50 >= 0.25)} |")
    L.append(f"| p99 latency added over the upstream at 50 connections (paced) | <= 2 ms | {fmt(added, 3)} ms | "
             f"{yes(added <= 2.0)} |")
    if conc is not None:
        L.append(f"| {args.concurrent:,} concurrent slow replies: errors | 0 | {conc['error_count']} | "
                 f"{yes(conc['error_count'] == 0)} |")
        L.append(f"| {args.concurrent:,} concurrent slow replies: peak RSS | <= 250 MB | {fmt(conc['peak_rss_mb'])} MB | "
                 f"{yes(conc['peak_rss_mb'] <= 250)} |")
    L.append(f"| idle RSS | <= 20 MB | {fmt(idle_rss)} MB | {yes(idle_rss is not None and idle_rss <= 20)} |")
    L.append(f"| cold start to first reply | <= 100 ms | {fmt(median(first))} ms (median) | "
             f"{yes(median(first) <= 100)} |")
    L.append("")
    return L


SERVER_LOG_TEXT = {
    "file": "its request log (one JSON line per request) into a file on this machine's disk (`--server-log file`)",
    "pipe": "its request log (one JSON line per request) into a pipe that bench/run.py drains, as a container "
            "platform's log router does (`--server-log pipe`)",
}


def render_commands(args):
    L = ["## Commands\n"]
    L.append("Run by `bench/run.py` (through `make bench`); ports are chosen by the kernel.\n")
    L.append("```sh")
    L.append("UPSTREAM_BODY='" + UPSTREAM_BODY + "'")
    L.append("llamachat-fake-upstream --port 0 --delay-ms 0" +
             ("      # and a second one with --delay-ms 1000" if not args.rows else ""))
    L.append("nginx -c nginx.conf   # when installed: NGINX_CONF in bench/run.py, proxy_pass with keepalive 64")
    L.append("AWS_REGION=us-east-1 BEDROCK_MODEL_ID=" + MODEL_ID +
             " AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:<upstream port> \\\n  AWS_ACCESS_KEY_ID=AKIDEXAMPLE "
             "AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true llamachat --host 127.0.0.1 --port 0")
    if args.baseline_bin:
        L.append(f"# the baseline: the same llamachat command, binary {os.path.relpath(args.baseline_bin, ROOT)}, "
                 "and the same wrk commands against its port")
    for c in COMMANDS:
        L.append(c)
    L.append("```")
    return L


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--out", help="report file (default: <build-dir>/bench-report.md)")
    ap.add_argument("--duration", type=int, default=4, help="seconds per wrk run (default 4)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repetitions per row (default 3)")
    ap.add_argument("--latency-repeat", type=int, default=5,
                    help="interleaved repetitions of the paced latency runs (default 5)")
    ap.add_argument("--pace-ms", type=int, default=20, help="per-connection pause of the paced latency runs")
    ap.add_argument("--concurrent", type=int, default=10000)
    ap.add_argument("--concurrent-duration", type=int, default=10)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--micro-min-time", default="0.2")
    ap.add_argument("--no-nginx", action="store_true", help="skip the nginx reference rows")
    ap.add_argument("--server-log", choices=("file", "pipe"), default="file",
                    help="where llamachat's output (one log line per request) goes: a file in the work directory "
                         "(default), or a pipe drained by this script, as under a container platform")
    ap.add_argument("--quick", action="store_true", help="short runs, one repetition (a smoke test, not a result)")
    ap.add_argument("--rows", help=ROWS_HELP)
    ap.add_argument("--baseline-bin", help="a second llamachat binary (bench/run.sh --baseline REV builds it) whose "
                    "llamachat rows run interleaved with the current build's, compared row by row")
    ap.add_argument("--baseline-label", help="what the baseline binary was built from, for the report")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.repeat, args.concurrent_duration, args.cold_runs = 1, 1, 4, 2
        args.latency_repeat = 1
        args.micro_min_time = "0.01"
    args.duration = max(1, min(args.duration, 120))
    args.repeat = max(1, min(args.repeat, 10))
    args.latency_repeat = max(1, min(args.latency_repeat, 20))
    rows, problem = plan_rows(args.rows)
    if problem:
        sys.exit(f"--rows: {problem}")
    if args.no_nginx:
        rows = {(ep, c) for ep, c in rows if ep.target != "nginx"}
    if args.baseline_bin:
        # Every pair of repetitions runs the two builds in both orders (see balanced_ratios).
        args.repeat += args.repeat % 2
        args.latency_repeat += args.latency_repeat % 2
        args.baseline_bin = os.path.abspath(args.baseline_bin)
        args.baseline_label = args.baseline_label or os.path.relpath(args.baseline_bin, ROOT)
        if not any(ep.target == "llamachat" for ep, _ in rows):
            sys.exit("--baseline-bin: the chosen rows have no llamachat row to compare")

    build = os.path.abspath(args.build_dir)
    bins = {"llamachat": os.path.join(build, "src", "llamachat"),
            "upstream": os.path.join(build, "bench", "llamachat-fake-upstream"),
            "bench": os.path.join(build, "bench", "llamachat_bench")}
    if args.baseline_bin:
        bins["baseline"] = args.baseline_bin
    for name, path in bins.items():
        if not os.access(path, os.X_OK):
            sys.exit(f"missing {path}; build first (bench/run.sh does)")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (scripts/setup.sh bench installs it)")

    # 10,000 client connections + as many accepted + as many upstream: raise the descriptor limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536
    for limit in ((want, max(hard, want)), (min(want, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limit)
            break
        except (ValueError, OSError):
            continue
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    args.nofile = nofile

    # The servers' logs of this run, beside the build and replaced by the next run: a long run's logs reach
    # hundreds of MB, and a fresh temporary directory per run once filled the disk.
    workdir = os.path.join(build, "bench-run")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    procs = []
    load_before = os.getloadavg()[0]
    extra = None
    try:
        info = machine_info(bins, build)
        up0 = start_upstream(bins, workdir, 0, "0ms")
        procs.append(up0)
        chat0 = start_llamachat(bins, workdir, up0.port, "fast", args.server_log)
        procs.append(chat0)
        base0 = None
        if args.baseline_bin:
            base0 = start_llamachat({"llamachat": args.baseline_bin}, workdir, up0.port, "baseline", args.server_log)
            procs.append(base0)
        nginx = None
        if any(ep.target == "nginx" for ep, _ in rows):
            nginx = start_nginx(workdir, up0.port)
        if nginx:
            procs.append(nginx)
        log(f"fake upstream on {up0.port}; llamachat on {chat0.port}; "
            f"baseline llamachat on {base0.port if base0 else 'none'}; "
            f"nginx on {nginx.port if nginx else 'none (not installed or not chosen)'}")
        # Warm-up: connection pools, page cache, CPU frequency.
        wrk(up0.port, "POST", INVOKE_PATH, UPSTREAM_BODY, 50, 1)
        for p in (chat0, base0):
            if p:
                wrk(p.port, "POST", "/chat", CHAT_BODY, 50, 1)
        if nginx:
            wrk(nginx.port, "POST", INVOKE_PATH, UPSTREAM_BODY, 50, 1)
        load, base_load = load_table({"upstream": up0, "llamachat": chat0, "baseline": base0, "nginx": nginx}, rows,
                                     args)
        info["log_bytes"] = chat0.output_bytes()
        if nginx:
            nginx.stop()
            procs.remove(nginx)
        if args.rows is None:
            extra = other_sections(bins, workdir, up0, chat0, base0, procs, args)
    finally:
        for p in reversed(procs):
            p.stop()

    report = render(info, load, base_load, extra, args, load_before, os.getloadavg()[0])
    out = args.out or os.path.join(build, "bench-report.md")
    with open(out, "w") as f:
        f.write(report)
    print(report)
    log(f"report written to {out}; server logs in {workdir}")


def other_sections(bins, workdir, up0, chat0, base0, procs, args):
    """Everything after the load table, on the current build (and the paced latency on the baseline's too,
    when there is one): paced and slow latency, concurrency, start-up, footprint, micro-benchmarks. Stops
    chat0 and base0; every process it starts is in `procs` until stopped."""
    paced = paced_latency(up0, chat0, args, base0)
    for p in (chat0, base0):
        if p:
            p.stop()
            procs.remove(p)

    up1 = start_upstream(bins, workdir, 1000, "1000ms")
    procs.append(up1)
    chat1 = start_llamachat(bins, workdir, up1.port, "slow", args.server_log)
    procs.append(chat1)
    log(f"slow fake upstream (1 s) on {up1.port}; llamachat in front of it on {chat1.port}")
    slow = slow_latency(up1, chat1, args)
    # llamachat needs two descriptors per held reply (client and upstream connection): the open-file
    # limit caps how many replies one process can hold.
    args.concurrent_requested = args.concurrent
    args.concurrent = min(args.concurrent, (args.nofile - 100) // 2)
    if args.concurrent < args.concurrent_requested:
        log(f"open-file limit {args.nofile}: holding {args.concurrent} replies, not {args.concurrent_requested}")
    conc = concurrency(chat1, args)
    chat1.stop()
    procs.remove(chat1)

    log("cold start")
    cold, idle_rss = cold_start(bins, workdir, up0.port, args.cold_runs)
    stripped = os.path.join(workdir, "llamachat.stripped")
    subprocess.run(["strip", "-o", stripped, bins["llamachat"]], check=False, timeout=60)
    sizes = (os.path.getsize(bins["llamachat"]),
             os.path.getsize(stripped) if os.path.exists(stripped) else float("nan"))
    micro = micro_benchmarks(bins, args)
    return {"paced": paced, "slow": slow, "conc": conc, "cold": cold, "idle_rss": idle_rss, "sizes": sizes,
            "micro": micro}

if __name__ == "__main__":
    main()
