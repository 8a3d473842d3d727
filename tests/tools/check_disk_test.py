"""scripts/check_disk.sh: make test's and make tsan's disk preflight stops a build that cannot fit, and says why.

Runs the real script against this machine's real filesystem; the sizes asked for are far above or far below
any free space, so the outcome does not depend on how full the disk is.
"""
import os
import subprocess
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "check_disk.sh")
BEYOND_ANY_DISK_MIB = str(1 << 40)


def run(build_dir, need_mib, *tmp_need_mib, **env):
    full_env = dict(os.environ)
    full_env.pop("LLAMACHAT_DISK_CHECK", None)
    full_env.update(env)
    return subprocess.run(["bash", SCRIPT, build_dir, need_mib, *tmp_need_mib], env=full_env, capture_output=True,
                          text=True, timeout=60)


class CheckDisk(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.build_dir = os.path.join(self.tmp.name, "build", "test")

    def test_a_build_larger_than_the_free_space_is_refused_with_the_figures(self):
        result = run(self.build_dir, BEYOND_ANY_DISK_MIB)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(f"{self.build_dir} needs about {BEYOND_ANY_DISK_MIB} MiB more", result.stderr)
        self.assertRegex(result.stderr, r"its filesystem has \d+ MiB free")
        self.assertIn("LLAMACHAT_DISK_CHECK=off", result.stderr)

    def test_what_the_build_directory_already_holds_is_not_asked_for_again(self):
        os.makedirs(self.build_dir)
        with open(os.path.join(self.build_dir, "object.o"), "wb") as f:
            f.write(os.urandom(3 << 20))
        result = run(self.build_dir, "3")
        self.assertEqual(result.returncode, 0, result)
        self.assertIn("about 0 MiB still to write", result.stdout)

    def test_a_small_build_passes_and_reports_the_free_space(self):
        result = run(self.build_dir, "1", TMPDIR=self.tmp.name)
        self.assertEqual(result.returncode, 0, result)
        self.assertRegex(result.stdout, rf"{self.build_dir}: \d+ MiB free, about 1 MiB still to write; "
                                        rf"{self.tmp.name}: \d+ MiB free")

    def test_too_little_room_for_the_tests_temporary_files_is_refused_naming_tmpdir(self):
        result = run(self.build_dir, "1", BEYOND_ANY_DISK_MIB, TMPDIR=self.tmp.name)
        self.assertEqual(result.returncode, 1, result)
        self.assertRegex(result.stderr, rf"under {self.tmp.name}, which has \d+ MiB free; "
                                        rf"they need about {BEYOND_ANY_DISK_MIB} MiB")
        self.assertNotIn("needs about", result.stderr)  # the build itself fits

    def test_the_check_can_be_switched_off(self):
        result = run(self.build_dir, BEYOND_ANY_DISK_MIB, LLAMACHAT_DISK_CHECK="off")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stderr, "")


if __name__ == "__main__":
    unittest.main()
