#!/usr/bin/env python3
"""The deployment files say what the platform must do: trust principals, Bedrock actions and resources,
health checks, secrets, drain timings and the runtime image's user. Run: templates_test.py [-v]."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfn_check  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEPLOY = os.path.join(REPO, "deploy")
APPRUNNER = os.path.join(DEPLOY, "apprunner.yaml")
ECS = os.path.join(DEPLOY, "ecs-fargate.yaml")

PROFILE_ID = "us.meta.llama3-3-70b-instruct-v1:0"
MODEL_ID = "meta.llama3-3-70b-instruct-v1:0"
# Source and destination Regions of the US profile: each source routes to all three
# (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
US_PROFILE_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
BEDROCK_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
ACCOUNT = "123456789012"


def render(node, region):
    """The string a Ref/Sub of pseudo parameters becomes in `region`, account ACCOUNT, partition aws."""
    pseudo = {"AWS::Region": region, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in pseudo:
        return pseudo[node["Ref"]]
    if isinstance(node, dict) and set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        def replace(match):
            if match.group(1) not in pseudo:
                raise AssertionError(f"cannot render ${{{match.group(1)}}}")
            return pseudo[match.group(1)]
        return re.sub(r"\$\{([^}!]*)\}", replace, node["Fn::Sub"])
    raise AssertionError(f"cannot render {node!r}")


def statements(role):
    out = []
    for policy in role["Properties"].get("Policies", []):
        body = policy["PolicyDocument"]["Statement"]
        out.extend(body if isinstance(body, list) else [body])
    return out


def as_list(value):
    return value if isinstance(value, list) else [value]


def trusted_services(role):
    services = []
    for statement in as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole", statement
        services.extend(as_list(statement["Principal"]["Service"]))
    return services


def roles(template):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def env_map(pairs):
    return {pair["Name"]: pair["Value"] for pair in pairs}


class TemplateChecks:
    """What every template must satisfy; subclasses name their file in PATH."""

    PATH = None

    @classmethod
    def setUpClass(cls):
        cls.t = cfn_check.load(cls.PATH)
        cls.r = cls.t["Resources"]

    def role_named_by(self, getatt):
        """The role resource that `!GetAtt Role.Arn` names."""
        self.assertEqual(set(getatt), {"Fn::GetAtt"})
        name, attribute = getatt["Fn::GetAtt"]
        self.assertEqual(attribute, "Arn")
        return self.r[name]

    def test_validates(self):
        self.assertEqual(cfn_check.check_template(self.t), [])

    def test_no_wildcards_no_credentials(self):
        self.assert_no_wildcards_or_credentials(self.PATH, self.t)

    def assert_least_privilege_bedrock(self, role):
        for region in US_PROFILE_REGIONS:
            granted = set()
            for statement in statements(role):
                actions = as_list(statement["Action"])
                if not any(a.startswith("bedrock") for a in actions):
                    continue
                self.assertEqual(statement["Effect"], "Allow")
                self.assertEqual(actions, BEDROCK_ACTIONS)
                granted |= {render(r, region) for r in as_list(statement["Resource"])}
            expected = {f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{PROFILE_ID}"}
            expected |= {f"arn:aws:bedrock:{r}::foundation-model/{MODEL_ID}" for r in US_PROFILE_REGIONS}
            self.assertEqual(granted, expected, f"calling from {region}")

    def assert_no_wildcards_or_credentials(self, path, template):
        for role in roles(template).values():
            for statement in statements(role):
                for item in as_list(statement["Action"]) + as_list(statement["Resource"]):
                    self.assertNotIn("*", str(item), f"wildcard in {statement}")
        text = open(path, encoding="utf-8").read()
        self.assertNotIn("bedrock-runtime:", text)
        self.assertIsNone(re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", text), "access key id in template")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "aws_secret_access_key"):
            self.assertNotIn(name, text)
        # No account number baked into an ARN: every account comes from ${AWS::AccountId}.
        self.assertIsNone(re.search(r"arn:[^\s]*:\d{12}:", text), "hard-coded account id")


class AppRunnerTemplate(TemplateChecks, unittest.TestCase):
    PATH = APPRUNNER

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls.r["Service"]["Properties"]

    def test_access_role_trusts_the_build_principal_and_pulls_from_ecr(self):
        role = self.role_named_by(self.service["SourceConfiguration"]["AuthenticationConfiguration"]["AccessRoleArn"])
        self.assertEqual(trusted_services(role), ["build.apprunner.amazonaws.com"])
        self.assertEqual([render(p, "us-east-1") for p in role["Properties"]["ManagedPolicyArns"]],
                         ["arn:aws:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess"])
        self.assertEqual(statements(role), [])

    def test_instance_role_trusts_the_tasks_principal(self):
        role = self.role_named_by(self.service["InstanceConfiguration"]["InstanceRoleArn"])
        self.assertEqual(trusted_services(role), ["tasks.apprunner.amazonaws.com"])
        self.assertNotIn("ManagedPolicyArns", role["Properties"])

    def test_instance_role_may_invoke_only_the_profile_and_its_models(self):
        self.assert_least_privilege_bedrock(self.role_named_by(self.service["InstanceConfiguration"]["InstanceRoleArn"]))

    def test_instance_role_reads_exactly_the_api_key_secret(self):
        role = self.role_named_by(self.service["InstanceConfiguration"]["InstanceRoleArn"])
        secret = self.service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"][
            "RuntimeEnvironmentSecrets"]
        self.assertEqual([s["Name"] for s in secret], ["LLAMACHAT_API_KEYS"])
        readers = [s for s in statements(role) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
        self.assertEqual(len(readers), 1)
        self.assertEqual(as_list(readers[0]["Action"]), ["secretsmanager:GetSecretValue"])
        self.assertEqual(as_list(readers[0]["Resource"]), [secret[0]["Value"]])

    def test_image_from_private_ecr_on_8080_with_the_profile(self):
        image = self.service["SourceConfiguration"]["ImageRepository"]
        self.assertEqual(image["ImageRepositoryType"], "ECR")
        self.assertEqual(image["ImageConfiguration"]["Port"], "8080")
        env = env_map(image["ImageConfiguration"]["RuntimeEnvironmentVariables"])
        self.assertEqual(env["AWS_REGION"], {"Ref": "AWS::Region"})
        self.assertEqual(env["BEDROCK_MODEL_ID"], PROFILE_ID)
        self.assertNotIn("LLAMACHAT_API_KEYS", env)
        # Names starting AWSAPPRUNNER are reserved
        # (https://docs.aws.amazon.com/apprunner/latest/api/API_ImageConfiguration.html).
        self.assertFalse([name for name in env if name.startswith("AWSAPPRUNNER")])
        # App Runner ends a request after 120 s.
        self.assertLess(int(env["LLAMACHAT_REQUEST_TIMEOUT_MS"]), 120_000)

    def test_http_health_check_on_healthz(self):
        check = self.service["HealthCheckConfiguration"]
        self.assertEqual((check["Protocol"], check["Path"]), ("HTTP", "/healthz"))

    def test_mentions_the_app_runner_closure(self):
        self.assertIn("30 April 2026", self.t["Description"])


class EcsFargateTemplate(TemplateChecks, unittest.TestCase):
    PATH = ECS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.task = cls.r["TaskDefinition"]["Properties"]
        (cls.container,) = cls.task["ContainerDefinitions"]
        cls.env = env_map(cls.container["Environment"])

    def role(self, property_name):
        return self.role_named_by(self.task[property_name])

    def test_both_roles_trust_ecs_tasks(self):
        self.assertEqual(trusted_services(self.role("TaskRoleArn")), ["ecs-tasks.amazonaws.com"])
        self.assertEqual(trusted_services(self.role("ExecutionRoleArn")), ["ecs-tasks.amazonaws.com"])

    def test_task_role_may_invoke_only_the_profile_and_its_models(self):
        role = self.role("TaskRoleArn")
        self.assertNotIn("ManagedPolicyArns", role["Properties"])
        self.assert_least_privilege_bedrock(role)
        for statement in statements(role):
            self.assertTrue(all(a.startswith("bedrock:") for a in as_list(statement["Action"])), statement)

    def test_execution_role_reads_the_secret_and_does_not_call_bedrock(self):
        role = self.role("ExecutionRoleArn")
        actions = [a for s in statements(role) for a in as_list(s["Action"])]
        self.assertEqual(actions, ["secretsmanager:GetSecretValue"])
        (secret,) = self.container["Secrets"]
        self.assertEqual(secret["Name"], "LLAMACHAT_API_KEYS")
        (reader,) = statements(role)
        self.assertEqual(as_list(reader["Resource"]), [secret["ValueFrom"]])

    def test_api_keys_are_not_plain_environment(self):
        self.assertNotIn("LLAMACHAT_API_KEYS", self.env)

    def test_container_settings(self):
        self.assertEqual(self.env["AWS_REGION"], {"Ref": "AWS::Region"})
        self.assertEqual(self.env["BEDROCK_MODEL_ID"], PROFILE_ID)
        self.assertEqual(self.container["PortMappings"], [{"ContainerPort": 8080, "Protocol": "tcp"}])
        self.assertEqual(self.container["User"], "10001:10001")
        self.assertTrue(self.container["ReadonlyRootFilesystem"])
        self.assertEqual(self.env["LLAMACHAT_TRUSTED_PROXIES"], {"Ref": "VpcCidr"})

    def test_target_group_health_check_on_healthz(self):
        group = self.r["TargetGroup"]["Properties"]
        self.assertEqual((group["HealthCheckProtocol"], group["HealthCheckPath"]), ("HTTP", "/healthz"))
        self.assertEqual((group["TargetType"], group["Port"]), ("ip", 8080))
        self.assertEqual(self.r["Service"]["Properties"]["LoadBalancers"][0]["TargetGroupArn"], {"Ref": "TargetGroup"})

    def test_stop_sequence_lets_replies_finish(self):
        # ALB drain (deregistration delay) first, then SIGTERM and llamachat's drain, then SIGKILL.
        request_timeout_s = int(self.env["LLAMACHAT_REQUEST_TIMEOUT_MS"]) / 1000
        drain_s = int(self.env["LLAMACHAT_DRAIN_TIMEOUT_MS"]) / 1000
        attributes = {a["Key"]: a["Value"] for a in self.r["TargetGroup"]["Properties"]["TargetGroupAttributes"]}
        deregistration_delay_s = int(attributes["deregistration_delay.timeout_seconds"])
        lb_attributes = {a["Key"]: a["Value"] for a in self.r["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]}
        self.assertGreater(deregistration_delay_s, request_timeout_s)
        self.assertGreater(int(lb_attributes["idle_timeout.timeout_seconds"]), request_timeout_s)
        self.assertGreater(self.container["StopTimeout"], drain_s)
        self.assertLessEqual(self.container["StopTimeout"], 120)  # Fargate's maximum

    def test_autoscaling_targets_the_service(self):
        target = self.r["ScalableTarget"]["Properties"]
        self.assertEqual((target["ServiceNamespace"], target["ScalableDimension"]), ("ecs", "ecs:service:DesiredCount"))
        self.assertEqual(target["ResourceId"], {"Fn::Sub": "service/${Cluster}/${Service.Name}"})
        policies = [r["Properties"] for r in self.r.values() if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"]
        metrics = sorted(p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"] for p in policies)
        self.assertEqual(metrics, ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"])
        for policy in policies:
            self.assertEqual(policy["PolicyType"], "TargetTrackingScaling")
            self.assertEqual(policy["ScalingTargetId"], {"Ref": "ScalableTarget"})

    def test_optional_waf_rate_rule_guards_the_load_balancer(self):
        acl = self.r["WebAcl"]
        association = self.r["WebAclAssociation"]
        self.assertEqual(acl["Condition"], "WafEnabled")
        self.assertEqual(association["Condition"], "WafEnabled")
        self.assertEqual(acl["Properties"]["Scope"], "REGIONAL")
        (rule,) = acl["Properties"]["Rules"]
        rate = rule["Statement"]["RateBasedStatement"]
        self.assertEqual(rate["AggregateKeyType"], "IP")
        self.assertEqual(rate["Limit"], {"Ref": "WafRequestsPer5MinutesPerIp"})
        self.assertEqual(rule["Action"]["Block"]["CustomResponse"]["ResponseCode"], 429)
        self.assertEqual(association["Properties"]["ResourceArn"], {"Ref": "LoadBalancer"})
        self.assertEqual(association["Properties"]["WebACLArn"], {"Fn::GetAtt": ["WebAcl", "Arn"]})

    def test_http_redirects_to_https_when_a_certificate_is_given(self):
        rule = self.r["HttpToHttpsRule"]
        self.assertEqual(rule["Condition"], "HasCertificate")
        self.assertEqual(rule["Properties"]["ListenerArn"], {"Ref": "HttpListener"})
        (action,) = rule["Properties"]["Actions"]
        self.assertEqual((action["Type"], action["RedirectConfig"]["Protocol"]), ("redirect", "HTTPS"))
        self.assertEqual(self.r["HttpsListener"]["Condition"], "HasCertificate")

    def test_tasks_accept_traffic_only_from_the_load_balancer(self):
        (ingress,) = self.r["TaskSecurityGroup"]["Properties"]["SecurityGroupIngress"]
        self.assertEqual((ingress["FromPort"], ingress["ToPort"]), (8080, 8080))
        self.assertEqual(ingress["SourceSecurityGroupId"], {"Ref": "LoadBalancerSecurityGroup"})
        self.assertNotIn("CidrIp", ingress)


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(DEPLOY, "Dockerfile"), encoding="utf-8") as f:
            cls.lines = [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]

    def final_stage(self):
        starts = [i for i, line in enumerate(self.lines) if line.upper().startswith("FROM ")]
        return self.lines[starts[-1]:]

    def test_runtime_stage_is_exactly_the_assembled_root(self):
        stage = self.final_stage()
        self.assertEqual(stage[0], "FROM scratch")
        copies = [line for line in stage if line.upper().startswith(("COPY", "ADD"))]
        self.assertEqual(copies, ["COPY --from=build /runtime-root/ /"])
        self.assertTrue(any("deploy/runtime_files.sh" in line and "/runtime-root" in line for line in self.lines))

    def test_runs_as_non_root_on_8080(self):
        stage = self.final_stage()
        users = [line.split()[1] for line in stage if line.upper().startswith("USER ")]
        self.assertEqual(users, ["10001:10001"])
        self.assertIn("EXPOSE 8080", stage)
        self.assertIn('ENTRYPOINT ["/usr/local/bin/llamachat"]', stage)

    def test_no_architecture_specific_paths(self):
        for line in self.lines:
            self.assertIsNone(re.search(r"x86_64|aarch64|amd64|arm64|/lib64", line), line)


class CheckerCatchesMistakes(unittest.TestCase):
    """Each broken template yields the problem named; a checker that passes everything fails here."""

    BASE = """
Parameters:
  Name: {Type: String}
Conditions:
  IsX: !Equals [!Ref Name, "x"]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      RoleName: !Ref Name
  Optional:
    Type: AWS::Logs::LogGroup
    Condition: IsX
"""

    def problems(self, extra="", base=None):
        import yaml
        return cfn_check.check_template(yaml.load((base or self.BASE) + extra, Loader=cfn_check.CfnLoader))

    def test_base_is_clean(self):
        self.assertEqual(self.problems(), [])

    def assert_problem(self, extra, fragment, base=None):
        found = self.problems(extra, base)
        self.assertTrue(any(fragment in p for p in found), f"{fragment!r} not in {found}")

    def test_undefined_ref(self):
        self.assert_problem("Outputs:\n  X: {Value: !Ref Missing}\n", "undefined Missing")

    def test_unknown_getatt_attribute(self):
        self.assert_problem("Outputs:\n  X: {Value: !GetAtt Role.Nope}\n", "no attribute Nope")

    def test_sub_typo(self):
        self.assert_problem("Outputs:\n  X: {Value: !Sub 'arn:${AWS::Partiton}:x'}\n", "undefined AWS::Partiton")

    def test_sub_literal_is_not_a_reference(self):
        self.assertEqual(self.problems("Outputs:\n  X: {Value: !Sub 'a-${!Literal}'}\n"), [])

    def test_conditional_resource_referenced_unconditionally(self):
        self.assert_problem("Outputs:\n  X: {Value: !Ref Optional}\n", "only when IsX holds")
        self.assertEqual(self.problems("Outputs:\n  X: {Value: !If [IsX, !Ref Optional, none]}\n"), [])

    def test_depends_on_a_conditional_resource(self):
        self.assert_problem("  G:\n    Type: AWS::Logs::LogGroup\n    DependsOn: Optional\n", "exists only when IsX")
        self.assertEqual(self.problems("  G:\n    Type: AWS::Logs::LogGroup\n    Condition: IsX\n"
                                       "    DependsOn: Optional\n"), [])

    def test_missing_required_and_unknown_property(self):
        self.assert_problem("  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {Vpc: x}\n",
                            "missing required property GroupDescription")
        self.assert_problem("  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: d, Vpc: x}\n",
                            "unknown property Vpc")

    def test_unknown_type_and_condition(self):
        self.assert_problem("  G:\n    Type: AWS::Made::Up\n", "not known")
        self.assert_problem("  G:\n    Type: AWS::Logs::LogGroup\n    Condition: IsY\n", "'IsY' is not defined")
        self.assert_problem("Outputs:\n  X: {Value: !If [IsY, a, b]}\n", "undefined condition 'IsY'")

    def test_unused_parameter(self):
        base = self.BASE.replace("Parameters:\n", "Parameters:\n  Spare: {Type: String}\n")
        self.assert_problem("", "Parameters.Spare: never used", base=base)

    def test_default_outside_allowed_values(self):
        base = self.BASE.replace("Name: {Type: String}", "Name: {Type: String, Default: c, AllowedValues: [a, b]}")
        self.assert_problem("", "not in AllowedValues", base=base)


if __name__ == "__main__":
    unittest.main()
