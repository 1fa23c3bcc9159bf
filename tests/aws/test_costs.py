"""Marketplace charges from Cost Explorer: moto's queued GetCostAndUsage results, real paging,
and the real 'not enabled' answer fed through a before-send hook."""

import json
from datetime import date

import boto3
import requests
from botocore.awsrequest import AWSResponse
from tests.aws.conftest import ACCOUNT, factory

from idcensus.collect import costs
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.store.state import table_definition
from idcensus_emulator.gaps import _Raw

PAYER = AccountInfo(account_id=ACCOUNT, management=True)


def group(product, vendor, amount, unit="USD"):
    return {"Keys": [product, vendor], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": unit}}}


def period(start, end, groups, estimated=False):
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": estimated}


def queue(*responses):
    """Queue GetCostAndUsage answers in moto, one per distinct request (a next page is a new request)."""
    r = requests.post("http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
                      json={"results": list(responses)}, timeout=10)
    assert r.status_code == 201


def test_marketplace_charges_over_pages(aws):
    queue(
        {"ResultsByTime": [period("2026-08-01", "2026-09-01", [group("Acme SIEM", "Acme Corp", "120.50")]),
                           period("2026-09-01", "2026-10-01", [group("Acme SIEM", "Acme Corp", "130.00")])],
         "NextPageToken": "page-2"},
        {"ResultsByTime": [period("2026-09-01", "2026-10-01", [group("Okta Workforce", "Okta, Inc.", "99.9900")]),
                           period("2026-10-01", "2026-10-16", [group("Acme SIEM", "Acme Corp", "60.25")], True)]},
    )
    f = factory()
    out = Outcomes()
    items = collect_items(f, PAYER, out, CollectOptions(), tiers=("billing",))
    assert out.capabilities == {"billing.marketplace": "ok"}
    assert f.counter.calls["cost-explorer.GetCostAndUsage"] == 2  # the second page was asked for and read
    by_id = {id_: data for type_, id_, data in items if type_ == "billing.marketplace_charge"}
    assert sorted(by_id) == ["marketplace/2026-08/Acme Corp/Acme SIEM", "marketplace/2026-09/Acme Corp/Acme SIEM",
                             "marketplace/2026-09/Okta, Inc./Okta Workforce", "marketplace/2026-10/Acme Corp/Acme SIEM"]
    okta = by_id["marketplace/2026-09/Okta, Inc./Okta Workforce"]
    assert (okta.vendor, okta.product, okta.month, okta.cost, okta.currency) == (
        "Okta, Inc.", "Okta Workforce", "2026-09", "99.99", "USD")
    assert isinstance(okta.cost, str) and not okta.estimated
    current = by_id["marketplace/2026-10/Acme Corp/Acme SIEM"]
    assert current.estimated and current.cost == "60.25" and current.period_end == "2026-10-16"


def test_query_is_marketplace_only_monthly_and_windowed(aws):
    sent = []

    def capture(params, **_):
        sent.append(json.loads(params["body"]))

    f = factory(("before-call.cost-explorer.GetCostAndUsage", capture))
    collect_items(f, PAYER, Outcomes(), CollectOptions(marketplace_days=90), tiers=("billing",))
    (body,) = sent
    assert body["Filter"] == {"Dimensions": {"Key": "BILLING_ENTITY", "Values": ["AWS Marketplace"]}}
    assert body["Granularity"] == "MONTHLY" and body["Metrics"] == ["UnblendedCost"]
    assert [g["Key"] for g in body["GroupBy"]] == ["SERVICE", "LEGAL_ENTITY_NAME"]
    start = date.fromisoformat(body["TimePeriod"]["Start"])
    assert start.day == 1 and (costs.today() - start).days >= 90  # whole months, at least 90 days back


def test_windows():
    today = date(2026, 11, 25)
    assert costs.query_window(today, 90) == (date(2026, 8, 1), date(2026, 11, 26))
    assert costs.query_window(today, 90, "2026-10-01") == (date(2026, 10, 1), date(2026, 11, 26))
    assert costs.previous_month_start(date(2026, 1, 15)) == date(2025, 12, 1)


def test_incremental_start_comes_from_stored_charges(aws):
    dynamodb = boto3.resource("dynamodb")
    dynamodb.create_table(**table_definition("state"))
    table = dynamodb.Table("state")
    assert costs.incremental_start(table, ACCOUNT, date(2026, 11, 25)) is None  # first sync: full window
    table.put_item(Item={"pk": f"ACCOUNT#{ACCOUNT}", "sk": "billing.marketplace_charge#marketplace/2026-08/A/B"})
    assert costs.incremental_start(table, ACCOUNT, date(2026, 11, 25)) == "2026-10-01"
    assert costs.incremental_start(table, "210987654321", date(2026, 11, 25)) is None


def test_member_accounts_are_not_queried(aws):
    f = factory()
    out = Outcomes()
    assert collect_items(f, AccountInfo(account_id="210987654321"), out, CollectOptions(), tiers=("billing",)) == []
    assert out.capabilities == {} and f.counter.total("cost-explorer.") == 0


# Cost Explorer's answer before the payer enables it, as AWS sends it (awsJson1_1 error body).
NOT_ENABLED = {"__type": "AccessDeniedException", "Message": "User not enabled for cost explorer access"}


def answer_not_enabled(request, **_):
    request.answered_by_hook = True  # tells in-process moto to stand aside (see tests/aws/conftest.py)
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "AccessDeniedException"}
    return AWSResponse(request.url, 400, headers, _Raw(json.dumps(NOT_ENABLED).encode()))


def test_not_enabled_is_said_plainly_and_collection_goes_on(aws):
    f = factory(("before-send.cost-explorer.GetCostAndUsage", answer_not_enabled))
    out = Outcomes()
    assert collect_items(f, PAYER, out, CollectOptions(), tiers=("billing",)) == []
    assert out.capabilities == {"billing.marketplace": "not_enabled"}
    assert "Cost Explorer -> Enable" in out.errors["billing.marketplace"]
    assert "about a day" in out.errors["billing.marketplace"]
    out.capabilities["iam.authorization_details"] = "ok"
    assert out.collection().status == "ok"  # the customer's setting, not a collection fault


def test_a_missing_permission_stays_denied(aws):
    def denied(request, **_):
        request.answered_by_hook = True
        body = {"__type": "AccessDeniedException",
                "Message": "User: arn:aws:sts::123456789012:assumed-role/R/s is not authorized to perform: "
                           "ce:GetCostAndUsage"}
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "AccessDeniedException"},
                           _Raw(json.dumps(body).encode()))

    out = Outcomes()
    f = factory(("before-send.cost-explorer.GetCostAndUsage", denied))
    collect_items(f, PAYER, out, CollectOptions(), tiers=("billing",))
    assert out.capabilities == {"billing.marketplace": "denied"}


def test_rerun_queries_from_the_previous_month_and_updates_by_key(aws):
    dynamodb = boto3.resource("dynamodb")
    dynamodb.create_table(**table_definition("state"))
    table = dynamodb.Table("state")
    first = costs.with_incremental_start(CollectOptions(), PAYER, table)
    assert first.marketplace_since is None  # nothing stored yet: the full window
    (type_, id_, _), = costs.transform_charges(
        [period("2026-10-01", "2026-11-01", [group("Acme SIEM", "Acme Corp", "1.5")])])
    table.put_item(Item={"pk": f"ACCOUNT#{ACCOUNT}", "sk": f"{type_}#{id_}"})
    later = costs.with_incremental_start(CollectOptions(), PAYER, table)
    assert later.marketplace_since == costs.previous_month_start(costs.today()).isoformat()
    member = AccountInfo(account_id="210987654321")
    assert costs.with_incremental_start(CollectOptions(), member, table).marketplace_since is None
    sent = []
    f = factory(("before-call.cost-explorer.GetCostAndUsage", lambda params, **_: sent.append(params["body"])))
    collect_items(f, PAYER, Outcomes(), later, tiers=("billing",))
    assert json.loads(sent[0])["TimePeriod"]["Start"] == later.marketplace_since
