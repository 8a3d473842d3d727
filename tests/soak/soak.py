#!/usr/bin/env python3
"""Bounded soak test: the real llamachat binary under mixed load, in front of upstreams that inject faults.

Two llamachat processes run side by side on loopback, each for --seconds of load:

* one on the Bedrock backend, in front of llamachat-bedrock-emulator;
* one on the OpenAI-compatible backend, in front of llamachat-openai-upstream.

Clients (asyncio sockets, one request per connection) send plain POST /chat, streaming /chat and /v1,
and multi-turn /v1 requests. Each request carries `[[emulate:...]]` markers (emulator/README.md,
"Directives") that make the upstream throttle, fail with 5xx, drop or reset the connection, stall, or
break a frame, so every client knows which outcome it must get. Slow clients trickle their headers,
read slowly or never read; some leave mid-stream; some half-close after a complete request.

Every exchange is classified. The run fails when any of these does not hold:

* every request gets a complete reply or a clear error (an HTTP error with a JSON error body, or a
  stream whose last event is its error event); no client passes its deadline; no stream ends without
  its final or error event; no injected fault is answered as a success;
* RSS (/proc/<pid>/status VmRSS) in the last window of the load is within 20 % plus a fixed slack of
  the warm-up window; descriptors that are not sockets are back to their count before the load, no
  client connection is left open, and pooled upstream connections stay within the pool's bound;
* every upstream response ends once its client has left: the Bedrock emulator (idle connections
  closed after --upstream-idle-ms) reports no open connection but the one asking, the OpenAI upstream
  no response in progress;
* the process never restarts: the same pid answers /healthz throughout, and exits 0 on SIGTERM with no
  sanitizer report.

It prints the RSS and descriptor figures of the run. Exit status 0 on success, 1 on a failed check.
Only the Python 3 standard library is used.
"""
import argparse
import asyncio
import collections
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

MIB = 1024 * 1024
TEST_ACCESS_KEY_ID = "AKIDEXAMPLE"  # the AWS documentation example keys, as the emulator's defaults
TEST_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
OPENAI_MODEL = "llama-3.3-70b-test"
BEDROCK_MODEL = "us.meta.llama3-3-70b-instruct-v1:0"


# ---------------------------------------------------------------------------------------------------
# Child processes


class Child:
    """A child process whose combined output is kept (the last lines) and scanned for its port."""

    def __init__(self, name, argv, env):
        self.name = name
        self.lines = collections.deque(maxlen=400)
        self.sanitizer_report = False
        self._port_line = threading.Event()
        self.port = None
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._port_line.wait(30) or self.port is None:
            self.stop()
            raise RuntimeError(f"{name} did not report its port:\n" + self.output())

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if "Sanitizer" in line and ("ERROR" in line or "runtime error" in line or "WARNING" in line):
                self.sanitizer_report = True
            if self.port is None and "listening on " in line:
                # a text line ends with the address; a JSON line closes its string after it
                match = re.search(r"listening on \S*?:(\d+)", line)
                if match:
                    self.port = int(match.group(1))
                self._port_line.set()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        return "\n".join(self.lines)

    def stop(self, timeout=20):
        """SIGTERM, then the exit status (None when it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self._reader.join(5)
        return self.proc.returncode


def base_environment():
    # Deliberately minimal: no HOME, no AWS variables or proxies from the caller's shell.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": "/nonexistent/llamachat-soak-config",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/llamachat-soak-credentials"}
    for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
        if name in os.environ:
            env[name] = os.environ[name]
    # A bounded quarantine, so that RSS measures the service and not AddressSanitizer's reuse delay
    # (ignored by builds without ASan).
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=16"]))
    return env


# ---------------------------------------------------------------------------------------------------
# /proc sampling


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def tcp_table(pid):
    """inode -> (local port, remote port, state) for the TCP sockets of the process's namespace."""
    table = {}
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{name}") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, remote, state, inode = parts[1], parts[2], parts[3], parts[9]
                    table[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16),
                                    int(state, 16))
        except FileNotFoundError:
            pass
    return table


TCP_LISTEN = 0x0A


def fd_census(pid, service_port, upstream_port):
    """Counts the process's descriptors: total, other (not sockets), clients, upstream, listen, sockets."""
    counts = collections.Counter()
    table = tcp_table(pid)
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue  # closed while we looked
        counts["total"] += 1
        if not target.startswith("socket:["):
            counts["other"] += 1
            continue
        entry = table.get(target[len("socket:["):-1])
        if entry is None:
            counts["other_sockets"] += 1
        elif entry[2] == TCP_LISTEN:
            counts["listen"] += 1
        elif entry[0] == service_port:
            counts["clients"] += 1
        elif entry[1] == upstream_port:
            counts["upstream"] += 1
        else:
            counts["other_sockets"] += 1
    return counts


# ---------------------------------------------------------------------------------------------------
# HTTP on raw sockets


def request_bytes(method, path, port, body=None, extra_headers=(), close=True):
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    lines += list(extra_headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Parsed:
    """A response parsed from the raw bytes of a connection the server closed (or the client left)."""

    def __init__(self, raw):
        self.status = 0
        self.headers = {}
        self.body = b""
        self.complete = False  # the framing of the body ended properly
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = raw[:head_end].decode("latin-1").split("\r\n")
        try:
            self.status = int(head[0].split()[1])
        except (IndexError, ValueError):
            return
        for line in head[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        rest = raw[head_end + 4:]
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            pos = 0
            while True:
                line_end = rest.find(b"\r\n", pos)
                if line_end < 0:
                    break
                try:
                    size = int(rest[pos:line_end].split(b";")[0], 16)
                except ValueError:
                    break
                start = line_end + 2
                if size == 0:
                    self.complete = rest.find(b"\r\n", start) >= 0
                    break
                if len(rest) < start + size + 2:
                    body += rest[start:]
                    break
                body += rest[start:start + size]
                pos = start + size + 2
            self.body = bytes(body)
        elif "content-length" in self.headers:
            length = int(self.headers["content-length"])
            self.body = rest[:length]
            self.complete = len(rest) >= length
        else:
            self.body = rest
            self.complete = True

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def events(self):
        """SSE events as (name, data) pairs; comments are skipped."""
        out = []
        for block in self.body.decode("utf-8", "replace").split("\n\n"):
            name, data = "message", []
            for line in block.split("\n"):
                if line.startswith(":") or not line:
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if data:
                out.append((name, "\n".join(data)))
        return out


async def connect(port, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock)


def abort(writer, reset):
    """Leaves: with a RST (SO_LINGER 0) or an orderly close."""
    sock = writer.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


async def read_all(reader, piece=65536, pause=0.0):
    data = bytearray()
    while True:
        chunk = await reader.read(piece)
        if not chunk:
            return bytes(data)
        data += chunk
        if pause:
            await asyncio.sleep(pause)


# ---------------------------------------------------------------------------------------------------
# Scenarios. Each returns an outcome: (class, detail). Classes that pass: complete, clear_error,
# left (the client went away by design). Everything else fails the run.

OK_CLASSES = {"complete", "clear_error", "deadline", "left"}


def deadline_error(text):
    """True when an error names llamachat's request deadline: on a loaded machine any request may meet it."""
    return "timed out" in text or "deadline" in text or "time_limit" in text


def unexpected(resp, where, detail=""):
    """The class of an error where a reply was expected."""
    text = detail or resp.body[:300].decode("utf-8", "replace")
    if resp.status == 504 or deadline_error(text):
        return ("deadline", f"{where}: {text[:200]}")
    return ("unexpected_error", f"{where}: {resp.status} {text[:200]}")


def expect_complete_chat(resp, tag):
    if resp.status != 200:
        return unexpected(resp, "/chat")
    doc = resp.json()
    if not resp.complete or not isinstance(doc, dict) or tag not in str(doc.get("reply", "")):
        return ("bad_reply", f"/chat reply {resp.body[:200]!r}")
    return ("complete", "")


def expect_clear_error(resp, where):
    """An HTTP error whose body is a JSON error (a string for /chat, an object for /v1)."""
    if resp.status == 0:
        return ("no_reply", where)
    if 200 <= resp.status < 300:
        return ("fault_ignored", f"{where}: {resp.status} {resp.body[:200]!r}")
    doc = resp.json()
    if not resp.complete or not isinstance(doc, dict) or "error" not in doc:
        return ("unclear_error", f"{where}: {resp.status} {resp.body[:200]!r}")
    return ("clear_error", str(resp.status))


def chat_stream_outcome(resp, tag, fault):
    """A /chat stream: deltas, then exactly one final event, `done` or `error`."""
    if resp.status != 200:
        return expect_clear_error(resp, "/chat stream") if fault else unexpected(resp, "/chat stream")
    events = resp.events()
    if not events or events[-1][0] not in ("done", "error"):
        return ("truncated", f"/chat stream ended after {[e[0] for e in events][-3:]} complete={resp.complete}")
    last_name, last_data = events[-1]
    if not resp.complete:
        return ("truncated", "/chat stream: the chunked body did not end")
    if last_name == "error":
        return ("clear_error", "error event") if fault else unexpected(resp, "/chat stream", last_data)
    done = json.loads(last_data)
    text = "".join(json.loads(d)["delta"] for n, d in events if n == "delta")
    if fault and done.get("stop_reason") != "time_limit":
        return ("fault_ignored", f"/chat stream done after a fault: {last_data[:200]}")
    if fault or done.get("stop_reason") == "time_limit":
        return ("deadline", "done, time_limit")  # cut at the request deadline, and said so
    if tag not in text or text.strip() != done.get("reply", "").strip():
        return ("bad_reply", f"deltas {text[:100]!r} vs done {last_data[:200]}")
    return ("complete", "")


def v1_stream_outcome(resp, tag, fault):
    """A /v1 stream: chunks, then `[DONE]`; a failure is one error chunk before it."""
    if resp.status != 200:
        return expect_clear_error(resp, "/v1 stream") if fault else unexpected(resp, "/v1 stream")
    events = resp.events()
    if not events or events[-1][1] != "[DONE]" or not resp.complete:
        return ("truncated", f"/v1 stream without [DONE] (complete={resp.complete}, {len(events)} events)")
    chunks = [json.loads(d) for _, d in events[:-1]]
    if any("error" in c for c in chunks):
        return ("clear_error", "error chunk") if fault else unexpected(resp, "/v1 stream", json.dumps(chunks[-1]))
    finishes = [c["choices"][0].get("finish_reason") for c in chunks if c.get("choices")]
    text = "".join((c["choices"][0].get("delta") or {}).get("content") or "" for c in chunks if c.get("choices"))
    if fault:
        if finishes and finishes[-1] == "length":
            return ("deadline", "finish length at the deadline")
        return ("fault_ignored", f"/v1 stream finished {finishes[-1:]} after a fault")
    if finishes and finishes[-1] == "length" and tag not in text:
        return ("deadline", "finish length before the reply was whole")  # /v1's name for a cut at the deadline
    if not finishes or finishes[-1] not in ("stop", "length") or tag not in text:
        return ("bad_reply", f"/v1 stream text {text[:100]!r} finish {finishes[-1:]}")
    return ("complete", "")


class Load:
    def __init__(self, name, port, backend, model, rng, args):
        self.name = name
        self.model = model  # the one model llamachat serves under /v1
        self.port = port
        self.backend = backend
        self.rng = rng
        self.args = args
        self.counter = 0
        self.outcomes = collections.Counter()
        self.examples = {}  # (kind, class) -> the first details of outcomes that fail the run
        self.half_close = collections.Counter()
        self.half_close_examples = []

    def tag(self):
        self.counter += 1
        return f"soak{self.name}{self.counter}x{self.rng.randrange(1 << 30)}"

    # Faults that end a request before any reply text; each must become a clear error.
    def request_fault(self):
        faults = ["throttle", "500", "503", "drop", "reset", "drop_mid_body", "model_timeout", "nonjson"]
        if self.backend == "openai":
            faults = ["throttle", "500", "503", "drop", "reset", "nonjson"]
        return self.rng.choice(faults)

    def stream_fault(self):
        return self.rng.choice(["throttle", "503", "drop", "reset", "stall@2", "broken_frame@2",
                                "stream_exception=throttlingException@2", "drop_mid_body", "reset_mid_body"])

    async def exchange(self, raw, deadline, rcvbuf=None, trickle=False, half_close=False, read_pause=0.0,
                       piece=65536):
        async def run():
            reader, writer = await connect(self.port, rcvbuf)
            try:
                if trickle:
                    head_end = raw.index(b"\r\n\r\n") + 4
                    for i in range(0, head_end, 7):
                        writer.write(raw[i:min(i + 7, head_end)])
                        await writer.drain()
                        await asyncio.sleep(0.01)
                    writer.write(raw[head_end:])
                else:
                    writer.write(raw)
                await writer.drain()
                if half_close:
                    writer.write_eof()
                return await read_all(reader, piece, read_pause)
            finally:
                writer.close()
        return Parsed(await asyncio.wait_for(run(), deadline))

    def chat_body(self, text, stream):
        return {"message": text, "stream": True} if stream else {"message": text}

    def v1_body(self, tag, markers, stream):
        messages = [{"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "my name is Soak and my favorite color is teal"},
                    {"role": "assistant", "content": "Noted."},
                    {"role": "user", "content": f"{tag} {markers}".strip()}]
        body = {"model": self.model, "messages": messages, "max_tokens": 4096}
        if stream:
            body["stream"] = True
        return body

    async def one(self):
        r = self.rng.random()
        tag = self.tag()
        a = self.args
        deadline = a.client_deadline
        if r < 0.16:  # plain /chat, ok or with a fault
            fault = self.request_fault() if self.rng.random() < 0.5 else None
            text = f"{tag} [[emulate:{fault}]]" if fault else tag
            resp = await self.exchange(request_bytes("POST", "/chat", self.port, self.chat_body(text, False)), deadline)
            return ("chat", expect_clear_error(resp, f"/chat {fault}") if fault else expect_complete_chat(resp, tag))
        if r < 0.34:  # /chat stream, paced, ok or with a fault
            fault = self.stream_fault() if self.rng.random() < 0.5 else None
            markers = f"[[emulate:{fault},words=30]]" if fault else "[[emulate:words=30,delay=5,chunk=64]]"
            resp = await self.exchange(request_bytes("POST", "/chat", self.port, self.chat_body(f"{tag} {markers}", True)),
                                       deadline)
            return ("chat_stream", chat_stream_outcome(resp, tag, fault))
        if r < 0.46:  # multi-turn /v1
            fault = self.request_fault() if self.rng.random() < 0.4 else None
            markers = f"[[emulate:{fault}]]" if fault else ""
            resp = await self.exchange(request_bytes("POST", "/v1/chat/completions", self.port,
                                                     self.v1_body(tag, markers, False)), deadline)
            if fault:
                return ("v1", expect_clear_error(resp, f"/v1 {fault}"))
            doc = resp.json()
            if resp.status != 200:
                return ("v1", unexpected(resp, "/v1"))
            ok = resp.complete and isinstance(doc, dict) and \
                tag in str(doc.get("choices", [{}])[0].get("message", {}).get("content", ""))
            return ("v1", ("complete", "") if ok else ("bad_reply", f"/v1 {resp.status} {resp.body[:200]!r}"))
        if r < 0.60:  # /v1 stream
            fault = self.stream_fault() if self.rng.random() < 0.5 else None
            markers = f"[[emulate:{fault},words=30]]" if fault else "[[emulate:words=30,delay=5]]"
            resp = await self.exchange(request_bytes("POST", "/v1/chat/completions", self.port,
                                                     self.v1_body(tag, markers, True)), deadline)
            return ("v1_stream", v1_stream_outcome(resp, tag, fault))
        if r < 0.67:  # headers trickled a few bytes at a time
            resp = await self.exchange(request_bytes("POST", "/chat", self.port, self.chat_body(tag, False)), deadline,
                                       trickle=True)
            return ("trickle_headers", expect_complete_chat(resp, tag))
        if r < 0.74:  # a slow reader: small reads with pauses, through a small receive buffer
            resp = await self.exchange(request_bytes("POST", "/chat", self.port,
                                                     self.chat_body(f"{tag} [[emulate:words=400]]", True)),
                                       deadline, rcvbuf=4096, read_pause=0.005, piece=256)
            return ("slow_reader", chat_stream_outcome(resp, tag, None))
        if r < 0.79:  # never reads a long stream, then leaves
            return ("never_read", await self.never_read(tag))
        if r < 0.90:  # leaves mid-stream (also during a stall), with a FIN or a RST
            return ("leave_mid_stream", await self.leave_mid_stream(tag))
        return ("half_close", await self.half_closed(tag))

    async def never_read(self, tag):
        # 1500 words: more than the socket buffers hold, and cheap for the upstreams, which build a whole
        # stream at once on their one thread (20000 words took the emulator seconds, stalling everyone).
        path, body = (("/chat", self.chat_body(f"{tag} [[emulate:words=1500]]", True)) if self.rng.random() < 0.5
                      else ("/v1/chat/completions", self.v1_body(tag, "[[emulate:words=1500]]", True)))
        reader, writer = await connect(self.port, receive_buffer=4096)
        writer.write(request_bytes("POST", path, self.port, body))
        await writer.drain()
        await asyncio.sleep(self.rng.uniform(0.2, 1.0))
        abort(writer, self.rng.random() < 0.5)
        return ("left", "")

    async def leave_mid_stream(self, tag):
        stall = self.rng.random() < 0.4
        markers = "[[emulate:stall@3]]" if stall else "[[emulate:words=200,delay=20]]"
        v1 = self.rng.random() < 0.5
        path, body = (("/v1/chat/completions", self.v1_body(tag, markers, True)) if v1
                      else ("/chat", self.chat_body(f"{tag} {markers}", True)))

        async def run():
            reader, writer = await connect(self.port)
            try:
                writer.write(request_bytes("POST", path, self.port, body))
                await writer.drain()
                seen = b""
                while seen.count(b"\n\n") < 2:
                    chunk = await reader.read(4096)
                    if not chunk:  # over before the client could leave: it must have ended properly
                        resp = Parsed(seen)
                        return v1_stream_outcome(resp, tag, None) if v1 else chat_stream_outcome(resp, tag, None)
                    seen += chunk
                return ("left", "")
            finally:
                abort(writer, self.rng.random() < 0.5)
        return await asyncio.wait_for(run(), self.args.client_deadline)

    async def half_closed(self, tag):
        """A complete request, then shutdown(SHUT_WR): legal HTTP; the reply must still come whole."""
        stream = self.rng.random() < 0.5
        raw = request_bytes("POST", "/chat", self.port, self.chat_body(tag, stream), close=False)
        resp = await self.exchange(raw, self.args.client_deadline, half_close=True)
        outcome = chat_stream_outcome(resp, tag, None) if stream else expect_complete_chat(resp, tag)
        self.half_close[outcome[0]] += 1
        if outcome[0] != "complete" and len(self.half_close_examples) < 3:
            self.half_close_examples.append(f"{outcome[0]}: {outcome[1]}")
        return outcome

    async def worker(self, stop_at):
        while time.monotonic() < stop_at:
            try:
                kind, (cls, detail) = await self.one()
            except asyncio.TimeoutError:
                kind, cls, detail = "any", "hang", f"no outcome within {self.args.client_deadline} s"
            except (ConnectionError, OSError) as e:
                kind, cls, detail = "any", "connection_error", repr(e)
            self.outcomes[(kind, cls)] += 1
            examples = self.examples.setdefault((kind, cls), [])
            if (cls not in OK_CLASSES or cls == "deadline") and len(examples) < 2:
                examples.append(detail)


# ---------------------------------------------------------------------------------------------------
# Upstream stats


def get_json(port, path, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request_bytes("GET", path, port))
        s.settimeout(timeout)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    resp = Parsed(data)
    return resp.status, resp.json()


def upstream_busy(backend, port):
    """The upstream's count of what must drain to nothing once every client has left (None: no answer)."""
    try:
        status, stats = get_json(port, "/_emulator/stats", timeout=10)
    except OSError as e:
        return None, {"error": repr(e)}
    if status != 200 or not isinstance(stats, dict):
        return None, {"status": status}
    if backend == "bedrock":
        return stats["open_connections"] - 1, stats  # minus the connection asking
    return stats["responses_in_progress"], stats


# ---------------------------------------------------------------------------------------------------
# One llamachat instance under load


class Instance:
    def __init__(self, backend, args, seed):
        self.backend = backend
        self.args = args
        self.samples = []  # (t, rss, census)
        self.health_failures = []
        self.checks = []  # (ok, text)
        self.before, self.after, self.upstream_stats = collections.Counter(), collections.Counter(), {}
        self.rss, self.rss_before, self.load_seconds = None, 0, 0.0
        env = base_environment()
        if backend == "bedrock":
            self.upstream = Child("bedrock-emulator", [args.emulator, "--host", "127.0.0.1", "--port", "0",
                                                       "--idle-timeout-ms", str(args.upstream_idle_ms),
                                                       "--log-level", "error"], env)
            env.update({"AWS_REGION": "us-east-1", "BEDROCK_MODEL_ID": BEDROCK_MODEL,
                        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.upstream.port}",
                        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_ACCESS_KEY})
        else:
            self.upstream = Child("openai-upstream", [args.openai_upstream, "--model", OPENAI_MODEL], env)
            env.update({"LLAMACHAT_BACKEND": "openai", "OPENAI_BASE_URL": f"http://127.0.0.1:{self.upstream.port}/v1",
                        "LLAMACHAT_OPENAI_MODEL": OPENAI_MODEL})
        env.update({"AWS_MAX_ATTEMPTS": "2", "LLAMACHAT_REQUEST_TIMEOUT_MS": str(args.request_timeout_ms)})
        try:
            self.service = Child(f"llamachat-{backend}", [args.llamachat, "--host", "127.0.0.1", "--port", "0"], env)
        except Exception:
            self.upstream.stop()
            raise
        self.pid = self.service.pid
        model = BEDROCK_MODEL if backend == "bedrock" else OPENAI_MODEL
        self.load = Load(backend[0], self.service.port, backend, model, random.Random(seed), args)

    def census(self):
        return fd_census(self.pid, self.service.port, self.upstream.port)

    def check(self, ok, text):
        self.checks.append((bool(ok), text))

    async def monitor(self, start, stop_at):
        next_health = 0.0
        while time.monotonic() < stop_at:
            now = time.monotonic()
            if self.service.alive():
                self.samples.append((now - start, rss_bytes(self.pid), self.census()))
            if now >= next_health:
                next_health = now + 1.0
                try:
                    status, doc = await asyncio.to_thread(get_json, self.service.port, "/healthz", 10)
                    if status != 200:
                        self.health_failures.append(f"{now - start:.1f}s: /healthz {status}")
                except OSError as e:
                    self.health_failures.append(f"{now - start:.1f}s: /healthz {e!r}")
            await asyncio.sleep(self.args.sample_interval)

    async def run(self):
        try:
            await self.run_and_check()
        except Exception as e:  # a broken harness step is a failed run, reported with the rest
            self.check(False, f"the soak ran to its end: {e!r}")

    async def run_and_check(self):
        a = self.args
        await asyncio.sleep(0.5)
        self.before = self.census()
        self.rss_before = rss_bytes(self.pid)
        start = time.monotonic()
        stop_at = start + a.seconds
        workers = [asyncio.create_task(self.load.worker(stop_at)) for _ in range(a.concurrency)]
        monitor = asyncio.create_task(self.monitor(start, stop_at))
        await asyncio.gather(*workers)
        await monitor
        self.load_seconds = time.monotonic() - start
        await self.settle()

    async def settle(self):
        a = self.args
        self.check(self.service.alive(), f"the process is alive after the load (pid {self.pid})")
        # Upstream responses end once their clients have left.
        deadline = time.monotonic() + a.settle_seconds
        busy, stats = await asyncio.to_thread(upstream_busy, self.backend, self.upstream.port)
        while busy != 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            busy, stats = await asyncio.to_thread(upstream_busy, self.backend, self.upstream.port)
        what = "open upstream connections" if self.backend == "bedrock" else "upstream responses in progress"
        self.check(busy == 0, f"{what} drain to 0 after the load: {busy} ({json.dumps(stats)[:300]})")
        self.upstream_stats = stats
        # Client connections close; descriptors other than sockets return to their count.
        census = self.census()
        while (census["clients"] or census["other"] != self.before["other"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            census = self.census()
        self.after = census
        self.check(census["clients"] == 0, f"no client connection left open: {census['clients']}")
        self.check(census["other"] == self.before["other"],
                   f"non-socket descriptors back to baseline: {self.before['other']} -> {census['other']}")
        bound = a.concurrency + 8  # the pool never holds more than were in flight at once (plus probes)
        self.check(census["upstream"] <= bound, f"pooled upstream connections within {bound}: {census['upstream']}")
        self.check(census["other_sockets"] == 0, f"no socket to an unknown peer: {census['other_sockets']}")
        if self.backend == "openai":
            # This upstream never closes an idle connection: each one it still has open must be one that
            # llamachat still holds, idle in its pool.
            while True:
                _, stats = await asyncio.to_thread(upstream_busy, self.backend, self.upstream.port)
                upstream_open = stats.get("open_connections", 0) - 1  # minus the connection asking
                pooled = self.census()["upstream"]
                if upstream_open <= pooled or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.1)
            self.check(upstream_open <= pooled,
                       f"each connection open at the upstream is held by llamachat's pool: {upstream_open} <= {pooled}")
        status, doc = await asyncio.to_thread(get_json, self.service.port, "/healthz", 10)
        self.check(status == 200, f"/healthz answers 200 after the load: {status}")
        self.check(not self.health_failures, f"/healthz answered during the load: {self.health_failures[:5]}")
        # RSS: the last window of the load against the warm-up window.
        span = a.seconds  # sample times are seconds since the load started
        warm = [rss for t, rss, _ in self.samples if 0.1 * span <= t <= 0.3 * span]
        last = [rss for t, rss, _ in self.samples if t >= 0.8 * span]
        if warm and last:
            warm_mean, last_mean = sum(warm) / len(warm), sum(last) / len(last)
            limit = warm_mean * 1.2 + a.rss_slack_mb * MIB
            self.rss = (warm_mean, last_mean, limit)
            self.check(last_mean <= limit, f"RSS of the last window {last_mean / MIB:.1f} MiB <= "
                                            f"{limit / MIB:.1f} MiB (warm-up {warm_mean / MIB:.1f} MiB * 1.2 + "
                                            f"{a.rss_slack_mb} MiB)")
        else:
            self.rss = None
            self.check(False, "enough RSS samples for both windows")
        load = self.load
        bad = sum(n for (kind, cls), n in load.outcomes.items() if cls not in OK_CLASSES)
        total = sum(load.outcomes.values())
        self.check(bad == 0, f"every request got a complete reply or a clear error: {bad} of {total} did not")
        self.check(total >= a.concurrency, f"the load ran: {total} exchanges")

    def finish(self):
        code = self.service.stop()
        self.check(code == 0, f"llamachat exits 0 on SIGTERM: {code}")
        self.check(not self.service.sanitizer_report, "no sanitizer report from llamachat")
        self.upstream.stop()

    def report(self):
        out = [f"== {self.backend}: llamachat pid {self.pid}, {self.load_seconds:.0f} s of load, "
               f"{self.args.concurrency} clients"]
        by_kind = collections.defaultdict(dict)
        for (kind, cls), n in sorted(self.load.outcomes.items()):
            by_kind[kind][cls] = n
        for kind, classes in by_kind.items():
            out.append(f"  {kind:18} " + ", ".join(f"{c} {n}" for c, n in classes.items()))
        if self.load.half_close:
            out.append(f"  half-closed clients: {dict(self.load.half_close)}")
        out.append("  RSS MiB over the run (t: rss):")
        step = max(1, len(self.samples) // 12)
        out.append("    " + "  ".join(f"{t:.0f}s:{rss / MIB:.1f}" for t, rss, _ in self.samples[::step]))
        if self.rss:
            out.append(f"  RSS warm-up {self.rss[0] / MIB:.1f} MiB, last window {self.rss[1] / MIB:.1f} MiB, "
                       f"limit {self.rss[2] / MIB:.1f} MiB (before load {self.rss_before / MIB:.1f} MiB)")
        peak = max((c["total"] for _, _, c in self.samples), default=0)
        out.append(f"  fds before load {dict(self.before)}; peak total {peak}; after {dict(self.after)}")
        out.append(f"  upstream stats after: {json.dumps(self.upstream_stats)[:400]}")
        for ok, text in self.checks:
            out.append(f"  [{'ok' if ok else 'FAIL'}] {text}")
        for (kind, cls), details in sorted(self.load.examples.items()):
            for detail in details:
                out.append(f"  {'note' if cls in OK_CLASSES else 'failure'}: {kind}: {cls}: {detail}")
        for example in self.load.half_close_examples:
            out.append(f"  half-close not answered: {example}")
        return "\n".join(out)


async def main_async(args):
    instances = []
    try:
        for i, backend in enumerate(args.backends.split(",")):
            instances.append(Instance(backend, args, args.seed + i))
        await asyncio.gather(*(inst.run() for inst in instances))
    finally:
        for inst in instances:
            inst.finish()
    ok = True
    for inst in instances:
        print(inst.report())
        ok = ok and all(c for c, _ in inst.checks)
        if not all(c for c, _ in inst.checks):
            print(f"--- llamachat-{inst.backend} output (last lines) ---\n{inst.service.output()[-6000:]}")
    print("SOAK PASSED" if ok else "SOAK FAILED")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--llamachat", required=True)
    p.add_argument("--emulator", required=True, help="llamachat-bedrock-emulator")
    p.add_argument("--openai-upstream", required=True, help="llamachat-openai-upstream")
    p.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 300)))
    p.add_argument("--concurrency", type=int, default=12, help="clients per instance")
    p.add_argument("--backends", default="bedrock,openai")
    p.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", 14)))
    p.add_argument("--client-deadline", type=float, default=30.0, help="seconds a client waits for its outcome")
    p.add_argument("--request-timeout-ms", type=int, default=6000, help="llamachat's request deadline")
    p.add_argument("--upstream-idle-ms", type=int, default=1500, help="the emulator closes idle connections")
    p.add_argument("--settle-seconds", type=float, default=20.0)
    p.add_argument("--sample-interval", type=float, default=0.5)
    p.add_argument("--rss-slack-mb", type=float, default=16.0)
    args = p.parse_args()
    print(f"soak: {args.seconds:.0f} s, {args.concurrency} clients per instance, backends {args.backends}, "
          f"seed {args.seed}", flush=True)
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
