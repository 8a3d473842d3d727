#!/usr/bin/env python3
"""The container's runtime file set is enough to run llamachat, as an unprivileged user.

Assembles a root with deploy/runtime_files.sh (the script the Dockerfile's builder runs to make the
image's only layer), prints its size, then starts BINARY chrooted into it as uid 10001, in its own
mount and PID namespaces with the root read-only and a fresh /proc (what a container runtime
provides), on the offline backend on a free loopback port. Checks /healthz and /chat answer, that
the process really is uid 10001 without capabilities inside that root, and that SIGTERM ends it with
exit code 0.

Run: runtime_root_test.py BINARY   (ctest passes $<TARGET_FILE:llamachat>). Needs root for chroot,
namespaces and the uid switch; otherwise it skips loudly with exit code 77.
"""
import http.client
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RUNTIME_FILES = os.path.join(REPO, "deploy", "runtime_files.sh")
RUNTIME_UID = 10001
BINARY_IN_ROOT = "/usr/local/bin/llamachat"
START_TIMEOUT_S = 60
# Run in fresh mount and PID namespaces: make the root read-only (ECS sets ReadonlyRootFilesystem),
# give it its own /proc as a container runtime does, then chroot as the unprivileged user.
# Arguments: ROOT CHROOT UID:GID COMMAND...
CONTAINER_START = """set -e
root=$1 chroot=$2 user=$3
shift 3
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t proc proc "$root/proc"
exec "$chroot" --userspec="$user" "$root" "$@"
"""
BINARY = None


def skip_loudly(why):
    print(f"\n*** SKIPPED: {why} ***\n", file=sys.stderr)
    sys.exit(77)


def root_size(root):
    total = files = 0
    for directory, _, names in os.walk(root):
        for name in names:
            info = os.lstat(os.path.join(directory, name))
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
                files += 1
    return total, files


class Output:
    """Collects a child's merged output and waits for a line, without sleeping."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for raw in stream:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        regex = re.compile(pattern)
        with self.cond:
            def found():
                return next((m for m in map(regex.search, self.lines) if m), None)
            self.cond.wait_for(lambda: found() or self.closed, timeout)
            return found()

    def text(self):
        with self.cond:
            return "\n".join(self.lines)


class RuntimeRoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="llamachat-runtime-root-")
        subprocess.run([RUNTIME_FILES, BINARY, cls.root], check=True)
        size, files = root_size(cls.root)
        binary_size = os.path.getsize(os.path.join(cls.root, BINARY_IN_ROOT.lstrip("/")))
        print(f"runtime root: {size} bytes ({size / 1048576:.1f} MiB) in {files} files; "
              f"binary {binary_size} bytes", file=sys.stderr)

        env = {
            "LLAMACHAT_BACKEND": "offline",
            "HOME": "/nonexistent",
            # Coverage builds write .gcda files at exit; inside the root they go to its /tmp.
            "GCOV_PREFIX": "/tmp",
        }
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        command = [shutil.which("unshare"), "--mount", "--pid", "--fork", "--propagation", "private",
                   "/bin/sh", "-c", CONTAINER_START, "sh", cls.root, shutil.which("chroot"),
                   f"{RUNTIME_UID}:{RUNTIME_UID}", BINARY_IN_ROOT, "--host", "127.0.0.1", "--port", "0"]
        cls.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        cls.output = Output(cls.process.stdout)
        match = cls.output.wait_for(r"listening on \S*?:(\d+)", START_TIMEOUT_S)
        if not match:
            cls.process.kill()
            cls.process.wait()
            shutil.rmtree(cls.root, ignore_errors=True)
            raise AssertionError("llamachat did not start in the runtime root; output:\n" + cls.output.text())
        cls.port = int(match.group(1))
        cls.pid = cls.service_pid()

    @classmethod
    def service_pid(cls):
        """llamachat's PID as seen from here: the child unshare forked (chroot execs llamachat in place)."""
        path = f"/proc/{cls.process.pid}/task/{cls.process.pid}/children"
        with open(path, encoding="ascii") as f:
            (child,) = f.read().split()
        return int(child)

    @classmethod
    def tearDownClass(cls):
        if cls.process.poll() is None:
            cls.process.kill()
            cls.process.wait()
        cls.output.thread.join(timeout=10)
        shutil.rmtree(cls.root, ignore_errors=True)

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def test_1_root_has_no_shell_and_an_unprivileged_user(self):
        for path in ("bin/sh", "usr/bin/env", "bin/bash"):
            self.assertFalse(os.path.lexists(os.path.join(self.root, path)), path)
        with open(os.path.join(self.root, "etc/passwd"), encoding="ascii") as f:
            self.assertIn(f"llamachat:x:{RUNTIME_UID}:{RUNTIME_UID}:", f.read())
        bundle = os.path.join(self.root, "etc/ssl/certs/ca-certificates.crt")
        self.assertGreater(os.path.getsize(bundle), 0)

    def test_2_healthz_answers(self):
        status, body = self.request("GET", "/healthz")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["status"], "ok")

    def test_3_chat_answers_on_the_offline_backend(self):
        status, body = self.request("POST", "/chat", body=json.dumps({"message": "Hello"}),
                                    headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        self.assertTrue(json.loads(body)["reply"])

    def test_4_runs_as_the_unprivileged_user_inside_the_root(self):
        with open(f"/proc/{self.pid}/status", encoding="ascii") as f:
            ids = {line.split(":")[0]: line.split()[1:] for line in f if line.startswith(("Uid:", "Gid:"))}
        self.assertEqual(ids["Uid"], [str(RUNTIME_UID)] * 4)
        self.assertEqual(ids["Gid"], [str(RUNTIME_UID)] * 4)
        self.assertEqual(os.path.realpath(os.readlink(f"/proc/{self.pid}/root")), os.path.realpath(self.root))
        self.assertEqual(os.readlink(f"/proc/{self.pid}/exe"), os.path.join(self.root, BINARY_IN_ROOT.lstrip("/")))

    def test_4b_has_no_capabilities_and_a_read_only_root(self):
        with open(f"/proc/{self.pid}/status", encoding="ascii") as f:
            caps = {line.split(":")[0]: int(line.split()[1], 16) for line in f if line.startswith("Cap")}
        self.assertEqual((caps["CapPrm"], caps["CapEff"]), (0, 0))
        with open(f"/proc/{self.pid}/mountinfo", encoding="ascii") as f:
            root_mount = next(line.split() for line in f if line.split()[4] == "/")
        self.assertIn("ro", root_mount[5].split(","))

    def test_5_sigterm_exits_zero(self):
        os.kill(self.pid, signal.SIGTERM)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.fail("llamachat did not exit within 60 s of SIGTERM; output:\n" + self.output.text())
        self.assertEqual(code, 0, self.output.text())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} BINARY [unittest args]", file=sys.stderr)
        sys.exit(2)
    BINARY = os.path.abspath(sys.argv.pop(1))
    if os.geteuid() != 0:
        skip_loudly("runtime_root_test needs root (chroot, namespaces, switching to uid 10001)")
    for tool in ("unshare", "chroot", "ldd", "mount"):
        if shutil.which(tool) is None:
            skip_loudly(f"{tool} not found")
    probe = subprocess.run([shutil.which("unshare"), "--mount", "--pid", "--fork", "true"], capture_output=True)
    if probe.returncode != 0:
        skip_loudly("cannot create mount and PID namespaces here: " + probe.stderr.decode(errors="replace").strip())
    unittest.main(verbosity=2)
