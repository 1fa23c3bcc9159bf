"""Failures in the deployed stack are never silent: every function's errors, the collectors'
throttles and every failed asynchronous invocation raise an alarm that notifies someone."""

from tests.templates.cfn import TEMPLATE, load, resources_of_type

ASYNC_EVENTS = {"Schedule", "EventBridgeRule", "CloudWatchEvent"}  # Lambda invokes these asynchronously


def alarms(template, metric: str) -> dict[str, dict]:
    """Alarmed function (or queue) logical ID -> the alarm's properties, for one metric."""
    found = {}
    for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props["MetricName"] == metric:
            (dimension,) = props["Dimensions"]
            value = dimension["Value"]
            target = value.get("Ref") or value.get("Fn::GetAtt", [None])[0]
            found[target] = props
    return found


def test_every_function_has_an_error_alarm():
    template = load(TEMPLATE)
    functions = resources_of_type(template, "AWS::Serverless::Function")
    errors = alarms(template, "Errors")
    assert set(functions) <= set(errors)
    for props in errors.values():
        assert props["Namespace"] == "AWS/Lambda" and props["Threshold"] == 0


def test_queue_driven_functions_have_a_throttle_alarm():
    template = load(TEMPLATE)
    queue_driven = {name for name, f in resources_of_type(template, "AWS::Serverless::Function").items()
                    if any(e["Type"] == "SQS" and e["Properties"].get("ScalingConfig")
                           for e in (f["Properties"].get("Events") or {}).values())}
    assert queue_driven and queue_driven <= set(alarms(template, "Throttles"))


def test_asynchronous_invocations_fail_to_an_alarmed_queue():
    template = load(TEMPLATE)
    queue_depth = alarms(template, "ApproximateNumberOfMessagesVisible")
    for name, f in resources_of_type(template, "AWS::Serverless::Function").items():
        events = f["Properties"].get("Events") or {}
        if not any(e["Type"] in ASYNC_EVENTS for e in events.values()):
            continue
        config = f["Properties"].get("EventInvokeConfig")
        assert config, f"{name} is invoked asynchronously without an on-failure destination"
        failure = config["DestinationConfig"]["OnFailure"]
        assert failure["Type"] == "SQS"
        queue = failure["Destination"]["Fn::GetAtt"][0]
        assert queue in queue_depth, f"{name}'s failures go to {queue}, which no alarm watches"
        role = f["Properties"]["Role"]["Fn::GetAtt"][0]
        grants = [s for p in template["Resources"][role]["Properties"]["Policies"]
                  for s in p["PolicyDocument"]["Statement"] if s["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}]
        assert any(s["Action"] == "sqs:SendMessage" for s in grants), f"{role} may not send to {queue}"


def test_every_alarm_notifies_the_given_topic_or_the_stacks_own():
    template = load(TEMPLATE)
    expected = [{"Fn::If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}]
    for name, alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == expected, name
    topic = template["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "CreateAlarmTopic"
    assert template["Conditions"]["CreateAlarmTopic"] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}
    assert template["Resources"]["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


def test_every_failure_counted_in_the_idcensus_namespace_is_alarmed():
    """A custom metric that counts something going wrong has an alarm on it (metrics that count work
    done, such as CollectedAccounts or PrincipalsRefreshed, need none)."""
    import re
    from pathlib import Path

    counted = set()
    for path in (Path(TEMPLATE).parent / "functions" / "idcensus").rglob("*.py"):
        counted |= set(re.findall(r'add_metric\(name="(\w+)"', path.read_text()))
        counted |= set(re.findall(r'name="(\w+)" if [^"]+ else "\w+"', path.read_text()))
    failures = {m for m in counted if re.search(r"Failed|NotWritten|Overdue|Superseded", m)}
    assert {"FailedAccounts", "ReportsNotWritten", "Tier1FailedAccounts"} <= failures
    alarmed = {props["MetricName"] for props in (a["Properties"] for a in resources_of_type(
        load(TEMPLATE), "AWS::CloudWatch::Alarm").values()) if props["Namespace"] == "idcensus"}
    # Not alarmed, on purpose: a superseded run is normal (its changes are in the newer run's feed), and
    # an account the check finds unreadable alarms as FailedAccounts at the census that cannot read it.
    assert failures - alarmed == {"SupersededRuns", "Tier1FailedAccounts"}
