"""cfn-lint on both templates and on the SAM-transformed central template, plus the contracts
between the templates, the code and samconfig.toml."""

import json
import re
import shlex
import tomllib

import pytest
from cfnlint.api import lint_file

from idcensus.settings import Settings
from idcensus.store.export import DEFAULT_PREFIX
from idcensus.store.state import table_definition
from tests.templates.cfn import MEMBER, SAMCONFIG, TEMPLATE, resources_of_type

# Warnings we accept, rule ID -> why. Empty: both templates lint clean.
ALLOWED_WARNINGS: dict[str, str] = {}


def problems(path):
    matches = lint_file(path)
    return [
        f"{m.rule.id} {m.filename}:{m.linenumber} {m.message}"
        for m in matches
        if m.rule.id.startswith("E") or (m.rule.id.startswith("W") and m.rule.id not in ALLOWED_WARNINGS)
    ]


@pytest.mark.parametrize("path", [TEMPLATE, MEMBER], ids=["template", "member"])
def test_cfn_lint_is_clean(path):
    assert problems(path) == []


def test_transformed_template_lints_clean(transformed, tmp_path):
    # As `sam package` leaves it: the nested member stack's local TemplateURL uploaded to S3.
    packaged = json.loads(json.dumps(transformed))
    packaged["Resources"]["ManagementAccountMemberStack"]["Properties"]["TemplateURL"] = (
        "https://idcensus-code.s3.amazonaws.com/stacksets/member.yaml")
    out = tmp_path / "transformed.json"
    out.write_text(json.dumps(packaged, indent=1))
    assert problems(out) == []


def test_transform_adds_no_roles_or_managed_policies(template, transformed):
    assert resources_of_type(transformed, "AWS::IAM::Role").keys() == resources_of_type(template, "AWS::IAM::Role").keys()
    for role in resources_of_type(transformed, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_table_matches_table_definition(template):
    want = table_definition("any")
    props = template["Resources"]["StateTable"]["Properties"]
    assert props["KeySchema"] == want["KeySchema"]
    assert props["AttributeDefinitions"] == want["AttributeDefinitions"]
    assert props["BillingMode"] == want["BillingMode"]


def test_export_prefix_default_matches_code(template):
    assert template["Parameters"]["ExportPrefix"]["Default"] == DEFAULT_PREFIX


def test_stackset_passes_exactly_the_member_parameters(template, member):
    passed = {p["ParameterKey"] for p in template["Resources"]["MemberStackSet"]["Properties"]["Parameters"]}
    declared = member["Parameters"]
    required = {k for k, v in declared.items() if "Default" not in v}
    assert passed <= declared.keys()
    assert required <= passed
    assert passed == declared.keys()  # every switch is driven from the central stack


# Set by the platform or read by Powertools, not by idcensus.settings.
PLATFORM_ENV = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}


def environments(template):
    functions = resources_of_type(template, "AWS::Serverless::Function")
    common = template["Globals"]["Function"]["Environment"]["Variables"]
    return {k: {**common, **f["Properties"].get("Environment", {}).get("Variables", {})} for k, f in functions.items()}


def test_environment_variables_are_settings_fields(template):
    # The functions read their configuration only through Settings.from_env: an unknown name is a typo.
    fields = {name.upper() for name in Settings.model_fields}
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    for logical, env in environments(template).items():
        assert sorted(set(env) - fields - PLATFORM_ENV) == [], logical
        assert required <= set(env), logical


def test_every_function_has_its_own_role_and_log_group(template):
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert len(functions) == 7
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    groups = [f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in functions.values()]
    assert len(set(roles)) == len(set(groups)) == len(functions)


def test_stackset_template_is_the_member_file(template):
    assert template["Resources"]["MemberStackSet"]["Properties"]["TemplateURL"] == "stacksets/member.yaml"


def test_shared_parameters_agree(template, member):
    for name in (
        "CollectorRoleName",
        "ExternalId",
        "OrganizationId",
        "EnableIdentityCenterTier",
        "EnableResourcesTier",
        "EnableActivityTier",
        "PrimaryRegion",
    ):
        central, remote = template["Parameters"][name], member["Parameters"][name]
        for key in ("Default", "AllowedPattern", "AllowedValues", "MinLength", "NoEcho"):
            assert central.get(key) == remote.get(key), (name, key)


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_parameters_fit_the_template(template, env):
    config = tomllib.loads(SAMCONFIG.read_text())[env]["deploy"]["parameters"]
    assert set(config["capabilities"].split()) == {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"}
    assert config["resolve_s3"] is True and config["confirm_changeset"] is True
    overrides = dict(item.split("=", 1) for item in shlex.split(config["parameter_overrides"]))
    params = template["Parameters"]
    required = {k for k, v in params.items() if "Default" not in v}
    assert required <= overrides.keys()
    placeholders = {name for name, value in overrides.items() if value.startswith("REPLACE")}
    # The placeholders cannot be deployed unedited: the template rejects each with a message saying what goes there.
    assert placeholders >= {"OrganizationId", "ExternalId", "VendorPrincipalArn", "VendorExternalId"}
    for name in placeholders:
        assert not re.fullmatch(params[name]["AllowedPattern"], overrides[name]), name
        assert params[name]["ConstraintDescription"], name
    for name, value in overrides.items():
        spec = params[name]
        if "AllowedPattern" in spec and name not in placeholders:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], (name, value)
        assert len(value) >= spec.get("MinLength", 0), name
        if spec["Type"] == "Number":
            assert spec.get("MinValue", float("-inf")) <= float(value) <= spec.get("MaxValue", float("inf")), name


def test_queue_visibility_covers_six_function_timeouts(template):
    # AWS's guidance for SQS event sources: visibility timeout >= 6 x the function's timeout.
    default = template["Globals"]["Function"]["Timeout"]
    checked = 0
    for function in resources_of_type(template, "AWS::Serverless::Function").values():
        timeout = function["Properties"].get("Timeout", default)
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                assert template["Resources"][queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout, queue
                checked += 1
    assert checked == 5


def test_every_dead_letter_queue_is_alarmed(template):
    queues = resources_of_type(template, "AWS::SQS::Queue").values()
    redrives = [q["Properties"]["RedrivePolicy"] for q in queues if "RedrivePolicy" in q["Properties"]]
    dlqs = {r["deadLetterTargetArn"]["Fn::GetAtt"][0] for r in redrives}
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        for d in a["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName"
    }
    assert dlqs == {"AccountDeadLetterQueue", "FinishDeadLetterQueue", "ActivityDeadLetterQueue", "RefreshDeadLetterQueue"}
    assert dlqs <= alarmed


def test_member_accepts_the_central_bus_arn(member):
    pattern = member["Parameters"]["CentralEventBusArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, "arn:aws:events:us-east-1:123456789012:event-bus/idcensus-activity")
    assert re.fullmatch(pattern, "arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/prod.idcensus-activity")
    assert not re.fullmatch(pattern, "arn:aws:events:us-east-1:123456789012:event-bus/default*")
