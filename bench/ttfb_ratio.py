#!/usr/bin/env python3
"""Time to first byte of a streamed reply: straight from the Bedrock emulator versus through llamachat.

Usage: bench/ttfb_ratio.py BUILD_DIR [--requests N]
Starts the emulator (signature checks off) and llamachat pointed at it, both on 127.0.0.1:0, then
alternates N requests of each kind and prints the medians and their ratio (one run, same machine).
"""
import argparse, json, os, re, socket, statistics, subprocess, sys, threading, time


def start(cmd, env=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"listening on [0-9.]+:(\d+)", line)
        if m:
            # Keep draining the log so that the process never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, int(m.group(1))
    proc.kill()
    sys.exit("could not start: " + " ".join(cmd))


def first_byte_ms(port, head, body):
    """Sends one request; returns ms from the last byte sent to the first byte of the first stream event."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = (head + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body
    s.sendall(data)
    start = time.perf_counter()
    buf = b""
    # The header block ends at \r\n\r\n; the first chunk of the body is the first event.
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    header_end = buf.index(b"\r\n\r\n") + 4
    while len(buf) <= header_end + 8:
        buf += s.recv(65536)
    elapsed = (time.perf_counter() - start) * 1000
    while not buf.endswith(b"\r\n0\r\n\r\n"):  # drain to the last chunk so requests never overlap
        chunk = s.recv(65536)
        if not chunk:
            break
        buf = buf[-16:] + chunk
    s.close()
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    emulator, emulator_port = start([os.path.join(args.build_dir, "emulator/llamachat-bedrock-emulator"),
                                     "--port", "0", "--no-verify"])
    env = dict(os.environ, AWS_REGION="us-east-1", BEDROCK_MODEL_ID="us.meta.llama3-3-70b-instruct-v1:0",
               AWS_ENDPOINT_URL_BEDROCK_RUNTIME="http://127.0.0.1:%d" % emulator_port,
               AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               AWS_EC2_METADATA_DISABLED="true")
    service, service_port = start([os.path.join(args.build_dir, "src/llamachat"), "--host", "127.0.0.1", "--port", "0"],
                                  env)
    try:
        direct_head = ("POST /model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke-with-response-stream HTTP/1.1\r\n"
                       "Host: 127.0.0.1\r\nContent-Type: application/json\r\nX-Amzn-Bedrock-Accept: application/json\r\n")
        direct_body = json.dumps({"prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                                            "<|start_header_id|>assistant<|end_header_id|>\n\n"}).encode()
        via_head = "POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        via_body = json.dumps({"message": "Hello", "stream": True}).encode()
        for _ in range(20):  # warm-up: connection pools, credentials, page cache
            first_byte_ms(emulator_port, direct_head, direct_body)
            first_byte_ms(service_port, via_head, via_body)
        direct, via = [], []
        for _ in range(args.requests):
            direct.append(first_byte_ms(emulator_port, direct_head, direct_body))
            via.append(first_byte_ms(service_port, via_head, via_body))
        d, v = statistics.median(direct), statistics.median(via)
        print("| measure | straight from the emulator | through llamachat | ratio |")
        print("| --- | --- | --- | --- |")
        print("| median time to first event (ms), %d requests each | %.3f | %.3f | %.2f |" % (args.requests, d, v, v / d))
        print("| p90 (ms) | %.3f | %.3f | %.2f |" % (statistics.quantiles(direct, n=10)[8],
                                                     statistics.quantiles(via, n=10)[8],
                                                     statistics.quantiles(via, n=10)[8] / statistics.quantiles(direct, n=10)[8]))
        print("\nadded by llamachat (median): %.3f ms" % (v - d))
    finally:
        service.terminate()
        emulator.terminate()


if __name__ == "__main__":
    main()
