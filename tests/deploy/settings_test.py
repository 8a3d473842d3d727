#!/usr/bin/env python3
"""Every setting the deployment files give llamachat is one that `llamachat --help` lists, so a
misspelt or renamed variable cannot be silently ignored in production.
Run: settings_test.py BINARY [unittest args]   (ctest passes $<TARGET_FILE:llamachat>)."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfn_check  # noqa: E402
from templates_test import APPRUNNER, DEPLOY, ECS  # noqa: E402

BINARY = None


def template_settings():
    """{variable name: [files]} for everything the templates and the Dockerfile set."""
    names = {}

    def add(name, where):
        names.setdefault(name, []).append(where)

    apprunner = cfn_check.load(APPRUNNER)["Resources"]["Service"]["Properties"]
    image = apprunner["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    for pair in image["RuntimeEnvironmentVariables"] + image["RuntimeEnvironmentSecrets"]:
        add(pair["Name"], "deploy/apprunner.yaml")
    (container,) = cfn_check.load(ECS)["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    for pair in container["Environment"] + container["Secrets"]:
        add(pair["Name"], "deploy/ecs-fargate.yaml")
    with open(os.path.join(DEPLOY, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read().replace("\\\n", " ")
    for line in dockerfile.splitlines():
        if line.startswith("ENV "):
            for name in re.findall(r"([A-Z_][A-Z0-9_]*)=", line):
                add(name, "deploy/Dockerfile")
    return names


class Settings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        result = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=60, check=True)
        cls.listed = set(re.findall(r"\[([A-Z][A-Z0-9_]*)\]", result.stdout + result.stderr))
        cls.names = template_settings()

    def test_help_lists_settings(self):
        self.assertIn("BEDROCK_MODEL_ID", self.listed)  # the parser reads the real --help format

    def test_every_setting_in_the_deployment_files_exists(self):
        unknown = {name: where for name, where in self.names.items()
                   if name not in self.listed}
        self.assertEqual(unknown, {})


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} BINARY [unittest args]", file=sys.stderr)
        sys.exit(2)
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
