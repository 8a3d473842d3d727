#!/usr/bin/env python3
"""Structural checks of CloudFormation templates, without AWS and without cfn-lint.

Debian 12 has no cfn-lint, and the npm package of that name is an older, unrelated validator whose
bundled resource specification predates App Runner and AWS WAFv2, so it cannot judge these templates.
This checker loads the YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...) and
checks what a deployment would otherwise find out the slow way:
  - top-level sections, parameter types and defaults within AllowedValues/MinValue/MaxValue;
  - each resource type is one this file knows, with its required properties and no unknown ones;
  - every Ref, GetAtt and Sub names a parameter, a pseudo parameter or a resource (and a known
    attribute); every condition named by Condition/!If/!Condition exists; DependsOn targets exist;
  - a resource that exists only under a condition is referenced or depended on only where that
    condition holds (inside the matching !If branch, or from something under the same condition);
  - every parameter is used.
Run: cfn_check.py TEMPLATE... (exit 1 and one line per problem when something is wrong).
Property tables: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html
"""
import re
import sys

import yaml

PSEUDO_PARAMETERS = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

PARAMETER_TYPES = {
    "String", "Number", "List<Number>", "CommaDelimitedList", "AWS::EC2::VPC::Id", "AWS::EC2::Subnet::Id",
    "List<AWS::EC2::Subnet::Id>", "AWS::EC2::SecurityGroup::Id", "List<AWS::EC2::SecurityGroup::Id>",
    "AWS::EC2::KeyPair::KeyName", "AWS::SSM::Parameter::Value<String>",
}

# type: (required properties, other allowed properties, GetAtt attributes)
RESOURCE_TYPES = {
    "AWS::IAM::Role": (
        {"AssumeRolePolicyDocument"},
        {"Description", "ManagedPolicyArns", "MaxSessionDuration", "Path", "PermissionsBoundary", "Policies",
         "RoleName", "Tags"},
        {"Arn", "RoleId"}),
    "AWS::SecretsManager::Secret": (
        set(), {"Description", "GenerateSecretString", "KmsKeyId", "Name", "ReplicaRegions", "SecretString", "Tags"},
        {"Id"}),
    "AWS::AppRunner::Service": (
        {"SourceConfiguration"},
        {"AutoScalingConfigurationArn", "EncryptionConfiguration", "HealthCheckConfiguration",
         "InstanceConfiguration", "NetworkConfiguration", "ObservabilityConfiguration", "ServiceName", "Tags"},
        {"ServiceArn", "ServiceId", "ServiceUrl", "Status"}),
    "AWS::Logs::LogGroup": (
        set(), {"DataProtectionPolicy", "KmsKeyId", "LogGroupClass", "LogGroupName", "RetentionInDays", "Tags"},
        {"Arn"}),
    "AWS::EC2::SecurityGroup": (
        {"GroupDescription"}, {"GroupName", "SecurityGroupEgress", "SecurityGroupIngress", "Tags", "VpcId"},
        {"GroupId", "VpcId"}),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": (
        set(),
        {"IpAddressType", "LoadBalancerAttributes", "Name", "Scheme", "SecurityGroups", "SubnetMappings", "Subnets",
         "Tags", "Type"},
        {"CanonicalHostedZoneID", "DNSName", "LoadBalancerArn", "LoadBalancerFullName", "LoadBalancerName",
         "SecurityGroups"}),
    "AWS::ElasticLoadBalancingV2::TargetGroup": (
        set(),
        {"HealthCheckEnabled", "HealthCheckIntervalSeconds", "HealthCheckPath", "HealthCheckPort",
         "HealthCheckProtocol", "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "IpAddressType", "Matcher",
         "Name", "Port", "Protocol", "ProtocolVersion", "Tags", "TargetGroupAttributes", "TargetType", "Targets",
         "UnhealthyThresholdCount", "VpcId"},
        {"LoadBalancerArns", "TargetGroupArn", "TargetGroupFullName", "TargetGroupName"}),
    "AWS::ElasticLoadBalancingV2::Listener": (
        {"DefaultActions", "LoadBalancerArn"},
        {"AlpnPolicy", "Certificates", "ListenerAttributes", "MutualAuthentication", "Port", "Protocol", "SslPolicy"},
        {"ListenerArn"}),
    "AWS::ElasticLoadBalancingV2::ListenerRule": (
        {"Actions", "Conditions", "Priority"}, {"ListenerArn"}, {"IsDefault", "RuleArn"}),
    "AWS::ECS::Cluster": (
        set(),
        {"CapacityProviders", "ClusterName", "ClusterSettings", "Configuration", "DefaultCapacityProviderStrategy",
         "ServiceConnectDefaults", "Tags"},
        {"Arn"}),
    "AWS::ECS::TaskDefinition": (
        set(),
        {"ContainerDefinitions", "Cpu", "EphemeralStorage", "ExecutionRoleArn", "Family", "IpcMode", "Memory",
         "NetworkMode", "PidMode", "PlacementConstraints", "ProxyConfiguration", "RequiresCompatibilities",
         "RuntimePlatform", "Tags", "TaskRoleArn", "Volumes"},
        {"TaskDefinitionArn"}),
    "AWS::ECS::Service": (
        set(),
        {"CapacityProviderStrategy", "Cluster", "DeploymentConfiguration", "DeploymentController", "DesiredCount",
         "EnableECSManagedTags", "EnableExecuteCommand", "HealthCheckGracePeriodSeconds", "LaunchType",
         "LoadBalancers", "NetworkConfiguration", "PlacementConstraints", "PlacementStrategies", "PlatformVersion",
         "PropagateTags", "Role", "SchedulingStrategy", "ServiceConnectConfiguration", "ServiceName",
         "ServiceRegistries", "Tags", "TaskDefinition"},
        {"Name", "ServiceArn"}),
    "AWS::ApplicationAutoScaling::ScalableTarget": (
        {"MaxCapacity", "MinCapacity", "ResourceId", "ScalableDimension", "ServiceNamespace"},
        {"RoleARN", "ScheduledActions", "SuspendedState"},
        {"Id"}),
    "AWS::ApplicationAutoScaling::ScalingPolicy": (
        {"PolicyName", "PolicyType"},
        {"ResourceId", "ScalableDimension", "ScalingTargetId", "ServiceNamespace", "StepScalingPolicyConfiguration",
         "TargetTrackingScalingPolicyConfiguration"},
        {"Arn"}),
    "AWS::WAFv2::WebACL": (
        {"DefaultAction", "Scope", "VisibilityConfig"},
        {"AssociationConfig", "CaptchaConfig", "ChallengeConfig", "CustomResponseBodies", "Description", "Name",
         "Rules", "Tags", "TokenDomains"},
        {"Arn", "Capacity", "Id", "LabelNamespace"}),
    "AWS::WAFv2::WebACLAssociation": ({"ResourceArn", "WebACLArn"}, set(), set()),
}

TOP_LEVEL = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
             "Conditions", "Transform", "Resources", "Outputs"}


class CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short forms into their long forms."""


def _short_form(tag, long_name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":
                resource, _, attribute = value.partition(".")
                value = [resource, attribute]
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {long_name: value}
    CfnLoader.add_constructor("!" + tag, construct)


for _tag in ("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
             "Transform", "And", "Equals", "If", "Not", "Or"):
    _short_form(_tag, "Fn::" + _tag)
_short_form("Ref", "Ref")
_short_form("Condition", "Condition")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)  # noqa: S506 (SafeLoader subclass)


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def sub_references(template_string):
    """Names a Fn::Sub string refers to: 'X' or 'X.Attr'; ${!Literal} is not a reference."""
    return [name for name in _SUB_VARIABLE.findall(template_string) if not name.startswith("!")]


class Checker:
    def __init__(self, template):
        self.t = template
        self.errors = []
        self.params = template.get("Parameters") or {}
        self.resources = template.get("Resources") or {}
        self.conditions = template.get("Conditions") or {}
        self.used_params = set()

    def error(self, where, what):
        self.errors.append(f"{where}: {what}")

    def run(self):
        if not isinstance(self.t, dict):
            self.error("template", "not a mapping")
            return self.errors
        for key in self.t:
            if key not in TOP_LEVEL:
                self.error("template", f"unknown top-level section {key}")
        if self.t.get("AWSTemplateFormatVersion") not in (None, "2010-09-09"):
            self.error("template", "AWSTemplateFormatVersion must be the string 2010-09-09")
        if not self.resources:
            self.error("template", "no Resources")
        self.check_parameters()
        for name, body in self.conditions.items():
            self.walk(body, f"Conditions.{name}", frozenset(), in_condition=True)
        for name, resource in self.resources.items():
            self.check_resource(name, resource)
        for name, output in (self.t.get("Outputs") or {}).items():
            held = self.condition_of(output, f"Outputs.{name}")
            if "Value" not in output:
                self.error(f"Outputs.{name}", "no Value")
            self.walk(output.get("Value"), f"Outputs.{name}", held)
        for name in self.params:
            if name not in self.used_params:
                self.error(f"Parameters.{name}", "never used")
        return self.errors

    def check_parameters(self):
        for name, p in self.params.items():
            where = f"Parameters.{name}"
            ptype = p.get("Type")
            if ptype not in PARAMETER_TYPES:
                self.error(where, f"unknown Type {ptype!r}")
            if "Default" not in p:
                continue
            default = p["Default"]
            allowed = p.get("AllowedValues")
            if allowed is not None and str(default) not in [str(v) for v in allowed]:
                self.error(where, f"Default {default!r} not in AllowedValues")
            if ptype == "Number":
                if not isinstance(default, (int, float)):
                    self.error(where, "Default of a Number is not a number")
                elif ("MinValue" in p and default < p["MinValue"]) or ("MaxValue" in p and default > p["MaxValue"]):
                    self.error(where, "Default outside MinValue/MaxValue")
            if "AllowedPattern" in p and isinstance(default, str) and default:
                if not re.fullmatch(p["AllowedPattern"], default):
                    self.error(where, "Default does not match AllowedPattern")

    def condition_of(self, entity, where):
        condition = entity.get("Condition") if isinstance(entity, dict) else None
        if condition is None:
            return frozenset()
        if condition not in self.conditions:
            self.error(where, f"Condition {condition!r} is not defined")
        return frozenset({condition})

    def check_resource(self, name, resource):
        where = f"Resources.{name}"
        if not isinstance(resource, dict) or "Type" not in resource:
            self.error(where, "no Type")
            return
        for key in resource:
            if key not in {"Type", "Properties", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy",
                           "Metadata", "CreationPolicy", "UpdatePolicy"}:
                self.error(where, f"unknown resource attribute {key}")
        spec = RESOURCE_TYPES.get(resource["Type"])
        props = resource.get("Properties") or {}
        if spec is None:
            self.error(where, f"resource type {resource['Type']} is not known to this checker")
        else:
            required, optional, _ = spec
            for prop in required - set(props):
                self.error(where, f"missing required property {prop}")
            for prop in set(props) - required - optional:
                self.error(where, f"unknown property {prop} for {resource['Type']}")
        held = self.condition_of(resource, where)
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target not in self.resources:
                self.error(where, f"DependsOn {target!r} is not a resource")
            elif self.resources[target].get("Condition") not in (None, *held):
                self.error(where, f"DependsOn {target!r}, which exists only when "
                                  f"{self.resources[target]['Condition']} holds")
        self.walk(props, where, held)

    def check_target(self, target, attribute, where, held):
        if target in PSEUDO_PARAMETERS and attribute is None:
            return
        if target in self.params and attribute is None:
            self.used_params.add(target)
            return
        if target not in self.resources:
            self.error(where, f"reference to undefined {target}{'.' + attribute if attribute else ''}")
            return
        resource = self.resources[target]
        needed = resource.get("Condition")
        if needed and needed not in held:
            self.error(where, f"{target} exists only when {needed} holds, but is referenced outside it")
        spec = RESOURCE_TYPES.get(resource.get("Type"))
        if attribute is not None and spec is not None and attribute not in spec[2]:
            self.error(where, f"{resource['Type']} has no attribute {attribute}")

    def walk(self, node, where, held, in_condition=False):
        if isinstance(node, list):
            for item in node:
                self.walk(item, where, held, in_condition)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                self.check_target(value, None, where, held)
                return
            if key == "Fn::GetAtt":
                if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
                    self.error(where, f"malformed Fn::GetAtt {value!r}")
                else:
                    self.check_target(value[0], value[1], where, held)
                return
            if key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                for variable_value in variables.values():
                    self.walk(variable_value, where, held)
                for name in sub_references(text):
                    if name in variables:
                        continue
                    target, _, attribute = name.partition(".")
                    self.check_target(target, attribute or None, where, held)
                return
            if key == "Fn::If":
                if not (isinstance(value, list) and len(value) == 3):
                    self.error(where, "Fn::If needs [condition, if-true, if-false]")
                    return
                condition = value[0]
                if condition not in self.conditions:
                    self.error(where, f"Fn::If names undefined condition {condition!r}")
                self.walk(value[1], where, held | {condition})
                self.walk(value[2], where, held)
                return
            if key == "Condition" and in_condition:
                if value not in self.conditions:
                    self.error(where, f"undefined condition {value!r}")
                return
        for value in node.values():
            self.walk(value, where, held, in_condition)


def check_template(template):
    return Checker(template).run()


def main(paths):
    failed = False
    for path in paths:
        for problem in check_template(load(path)):
            print(f"{path}: {problem}")
            failed = True
        if not failed:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
