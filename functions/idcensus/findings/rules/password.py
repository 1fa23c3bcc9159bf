"""The account password policy (CIS 1.8, 1.9 in 4.0; 1.7, 1.8 in 5.0), from the `iam.password_policy`
record (one per account; `exists` false is IAM's own "no policy" answer). An account whose capability
did not run `ok` is not judged: nothing is known there."""

from __future__ import annotations

from idcensus.arns import account_arn
from idcensus.findings.registry import Hit, rule

POLICY_TYPE = "iam.password_policy"
CAPABILITY = "iam.password_policy"
MIN_LENGTH = 14
REUSE = 24


@rule(id="account.password_policy_weak", title="Password policy missing or weak", severity="medium",
      reads=(POLICY_TYPE, "aws.account"), cis_v4=("1.8", "1.9"), cis_v5=("1.7", "1.8"),
      prowler=("iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24"),
      remediation=f"Set an account password policy of at least {MIN_LENGTH} characters that prevents "
                  f"reuse of the last {REUSE} passwords.")
def password_policy_weak(inv):
    policies = {r["account_id"]: r["data"] for r in inv.of(POLICY_TYPE)}
    for r in inv.of("aws.account"):
        account_id = r["account_id"]
        ran = (r["data"].get("collection") or {}).get("capabilities", {}).get(CAPABILITY) == "ok"
        policy = policies.get(account_id)
        if not ran:
            continue  # not collected (or denied): nothing known
        problems = ["no password policy"] if policy is None or not policy.get("exists") else [
            *([f"minimum length {policy.get('minimum_length')} < {MIN_LENGTH}"]
              if (policy.get("minimum_length") or 0) < MIN_LENGTH else []),
            *([f"reuse prevention {policy.get('reuse_prevention')} < {REUSE}"]
              if (policy.get("reuse_prevention") or 0) < REUSE else [])]
        if problems:
            yield Hit(account_id, account_arn(account_id, r["id"].split(":")[1]), "aws.account",
                      f"account {account_id}: {'; '.join(problems)}", {"policy": policy, "problems": problems})
