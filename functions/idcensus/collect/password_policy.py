"""The account's IAM password policy: one GetAccountPasswordPolicy call.

An account without a policy answers NoSuchEntity. That is AWS's answer ("no policy: the defaults
apply"), recorded as a policy record with `exists` false, never as an error or as no record.
"""

from __future__ import annotations

from idcensus.collect.contract import Context, Scope, unless
from idcensus.model.governance import PasswordPolicy
from idcensus.model.records import Item

RECORD_TYPE = "iam.password_policy"
RECORD_ID = "password-policy"  # one per account
NO_POLICY = frozenset({"NoSuchEntity", "NoSuchEntityException"})


def get(ctx: Context, region: str | None) -> dict | None:
    """The PasswordPolicy AWS returns, or None when the account has none."""
    found = unless(NO_POLICY, lambda: ctx.client("iam").get_account_password_policy())
    return found["PasswordPolicy"] if found else None


def transform(raw: dict | None, scope: Scope) -> list[Item]:
    if raw is None:
        return [(RECORD_TYPE, RECORD_ID, PasswordPolicy(exists=False))]
    return [(RECORD_TYPE, RECORD_ID, PasswordPolicy(
        exists=True, minimum_length=raw.get("MinimumPasswordLength"), require_symbols=raw.get("RequireSymbols"),
        require_numbers=raw.get("RequireNumbers"), require_uppercase=raw.get("RequireUppercaseCharacters"),
        require_lowercase=raw.get("RequireLowercaseCharacters"),
        allow_users_to_change=raw.get("AllowUsersToChangePassword"), expire_passwords=raw.get("ExpirePasswords"),
        max_age_days=raw.get("MaxPasswordAge"), reuse_prevention=raw.get("PasswordReusePrevention"),
        hard_expiry=raw.get("HardExpiry"),
    ))]
