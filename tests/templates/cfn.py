"""Helpers the template tests share: load templates with CloudFormation tags, transform SAM offline,
walk IAM policy documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
MEMBER = ROOT / "stacksets" / "member.yaml"
CHECKOV_CONFIG = ROOT / ".checkov.yaml"
SAMCONFIG = ROOT / "samconfig.toml"

CODE_BUCKET = "idcensus-code"
CODE_KEY = "functions.zip"

# Function logical ID -> (permissions.py key, role logical ID).
FUNCTIONS = {
    "PlannerFunction": ("planner", "PlannerRole"),
    "AccountCollectorFunction": ("account", "AccountCollectorRole"),
    "FinisherFunction": ("finisher", "FinisherRole"),
    "NormalizerFunction": ("events", "NormalizerRole"),
    "RefreshFunction": ("refresh", "RefreshRole"),
    "BackfillFunction": ("backfill", "BackfillRole"),
    "CheckFunction": ("check", "CheckRole"),
}


def load(path: Path) -> dict[str, Any]:
    """The template as plain dicts and lists; !Ref/!Sub/!GetAtt become their long forms."""
    return json.loads(json.dumps(cfn_yaml.load(str(path))))


class NoManagedPolicies:
    """The roles are explicit, so the SAM translator must never need an AWS managed policy."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the SAM transform asked for AWS managed policies")


def sam_transform(template: dict[str, Any]) -> dict[str, Any]:
    """template.yaml as CloudFormation would get it, with the code at an S3 location (no AWS calls)."""
    template = copy.deepcopy(template)
    template["Globals"]["Function"]["CodeUri"] = f"s3://{CODE_BUCKET}/{CODE_KEY}"
    return transform(template, {}, NoManagedPolicies())


def resources_of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_documents(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every policy document that applies to a role: inline ones and policies naming the role."""
    props = template["Resources"][role]["Properties"]
    docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
    for resource in template["Resources"].values():
        if resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            if {"Ref": role} in resource["Properties"].get("Roles", []):
                docs.append(resource["Properties"]["PolicyDocument"])
    return docs


def statements(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        yield from as_list(doc["Statement"])


def allowed_actions(docs: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements(docs) if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def evaluate(value: Any, refs: dict[str, Any], conditions: dict[str, bool] | None = None) -> Any:
    """Resolve Ref, GetAtt (as "Logical.Attr" keys of refs), Fn::If, Fn::Join and Fn::Split from known values."""
    conditions = conditions or {}
    if isinstance(value, list):
        return [evaluate(v, refs, conditions) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((fn, arg),) = value.items()
    if fn == "Ref":
        return refs[arg]
    if fn == "Fn::GetAtt":
        return refs[".".join(arg)]
    if fn == "Fn::If":
        name, yes, no = arg
        return evaluate(yes if conditions[name] else no, refs, conditions)
    if fn == "Fn::Join":
        sep, items = arg
        items = evaluate(items, refs, conditions)
        return sep.join(x for item in items for x in as_list(item))
    if fn == "Fn::Split":
        sep, text = arg
        return evaluate(text, refs, conditions).split(sep)
    return value
