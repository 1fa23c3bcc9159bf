"""CloudTrail -> OCSF 1.8.0 classification, as data.

Follows the CloudTrail mapping AWS published with the OCSF project (ocsf/examples,
mappings/bloblang/AWS/CloudTrail/v1.1.0: the selector in cloudtrail.yml and the three
cloudtrail_*.blobl files), which is what Security Lake emits:
- eventName in AUTHENTICATION_EVENTS -> Authentication (3002), category IAM (3);
- eventName in ACCOUNT_CHANGE_EVENTS -> Account Change (3001), category IAM (3);
- everything else -> API Activity (6003), category Application Activity (6).
Two deliberate departures, both to use OCSF 1.8.0 values the 1.1.0 mapping predates:
EnableMFADevice / DeactivateMFADevice are "MFA Factor Enable" (10) / "MFA Factor Disable" (11),
and API Activity matches the verb the event name *starts* with (the published mapping tests
substrings, so e.g. `AttachManagedPolicyToPermissionSet` and `ProvisionPermissionSet` agree either way,
but `UnknownX` no longer reads as Create).
"""

from __future__ import annotations

OCSF_VERSION = "1.8.0"

API_ACTIVITY, AUTHENTICATION, ACCOUNT_CHANGE = 6003, 3002, 3001
CLASS_NAMES = {API_ACTIVITY: "API Activity", AUTHENTICATION: "Authentication", ACCOUNT_CHANGE: "Account Change"}
CATEGORY_UIDS = {API_ACTIVITY: 6, AUTHENTICATION: 3, ACCOUNT_CHANGE: 3}
SEVERITY_INFORMATIONAL = 1  # the published mapping marks every CloudTrail event Informational
STATUS_UNKNOWN, STATUS_SUCCESS, STATUS_FAILURE = 0, 1, 2
_LOGIN_STATUS = {"Success": STATUS_SUCCESS, "Failure": STATUS_FAILURE}

ACTIVITY_NAMES = {
    API_ACTIVITY: {0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"},
    AUTHENTICATION: {0: "Unknown", 1: "Logon", 2: "Logoff", 99: "Other"},
    ACCOUNT_CHANGE: {
        0: "Unknown", 1: "Create", 2: "Enable", 3: "Password Change", 4: "Password Reset", 5: "Disable",
        6: "Delete", 7: "Attach Policy", 8: "Detach Policy", 9: "Lock", 10: "MFA Factor Enable",
        11: "MFA Factor Disable", 99: "Other",
    },
}

AUTHENTICATION_EVENTS = frozenset({
    "ConsoleLogin", "ExternalIdPDirectoryLogin", "CheckMfa", "CredentialChallenge",
    "CredentialVerification", "UserAuthentication", "AssumeRole", "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
})
_LOGON = frozenset({
    "ConsoleLogin", "ExternalIdPDirectoryLogin", "UserAuthentication", "AssumeRole",
    "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
})

ACCOUNT_CHANGE_EVENTS = frozenset({
    "UpdateRole", "AttachUserPolicy", "PutRolePermissionsBoundary", "DeletePolicy", "RemoveUserFromGroup",
    "ChangePassword", "CreateAccessKey", "AttachGroupPolicy", "ResyncMFADevice", "DeleteRolePolicy",
    "PutUserPermissionsBoundary", "CreateUser", "CreateServiceLinkedRole", "PutRolePolicy",
    "DetachGroupPolicy", "UpdateAccessKey", "CreateInstanceProfile", "CreateRole",
    "DeleteUserPermissionsBoundary", "DeleteAccountAlias", "PutGroupPolicy", "CreateLoginProfile",
    "DeleteGroupPolicy", "DeleteLoginProfile", "DeleteUserPolicy", "DeactivateMFADevice",
    "RemoveRoleFromInstanceProfile", "UpdateUser", "EnableMFADevice", "DeleteUser",
    "AddRoleToInstanceProfile", "UpdateAccountEmailAddress", "UpdateRoleDescription", "DetachUserPolicy",
    "UpdateAssumeRolePolicy", "DeleteGroup", "DeleteServiceLinkedRole", "DeleteAccessKey", "AddUserToGroup",
    "DeleteVirtualMFADevice", "FinalizeSmsMfaRegistration", "DeleteRolePermissionsBoundary",
    "DetachRolePolicy", "DeleteInstanceProfile", "UpdateGroup", "UpdateLoginProfile",
    "RequestSmsMfaRegistration", "DeleteRole", "PutUserPolicy", "CreateVirtualMFADevice", "AttachRolePolicy",
    "EmailUpdated", "AccountNameUpdated", "PasswordUpdated", "DeleteAccountPasswordPolicy",
    "UpdateAccountPasswordPolicy", "UpdateAccountName", "TagInstanceProfile", "TagRole", "TagUser",
    "UntagInstanceProfile", "UntagRole", "UntagUser", "CreateAccountAlias",
})

# Account Change activity, in the published order: the first rule whose substring matches wins.
_ACCOUNT_CHANGE_EXACT = {
    "EnableMFADevice": 10, "DeactivateMFADevice": 11,  # OCSF 1.8.0 MFA factor activities
    "ResyncMFADevice": 1, "ChangePassword": 3, "PasswordUpdated": 3, "AddUserToGroup": 7,
}
_ACCOUNT_CHANGE_RULES = (
    ("Create", 1), ("Attach", 7), ("Put", 7), ("Detach", 8), ("Remove", 8),
    ("DeleteSSH", 99), ("DeleteServer", 99), ("DeleteSign", 99), ("DeleteAccount", 99),
    ("DeleteCloudFront", 99), ("DeleteService", 99), ("Delete", 6),
)

# API Activity: the verb an event name starts with.
API_VERBS = (
    ("Create", 1), ("Run", 1), ("Generate", 1),
    ("Get", 2), ("List", 2), ("Describe", 2), ("Search", 2), ("Lookup", 2),
    ("Update", 3), ("Put", 3), ("Modify", 3), ("Add", 3), ("Remove", 3), ("Start", 3), ("Stop", 3),
    ("Attach", 3), ("Detach", 3), ("Associate", 3), ("Disassociate", 3), ("Tag", 3), ("Untag", 3),
    ("Enable", 3), ("Disable", 3), ("Register", 3), ("Deregister", 3),
    ("Delete", 4), ("Terminate", 4),
)

_CACHE: dict[str, tuple[int, int, int, str, str]] = {}
_CACHE_MAX = 8192  # event names are a small closed set; the cap only guards against junk input


def classify(event_name: str) -> tuple[int, int, int, str, str]:
    """(class_uid, category_uid, activity_id, class_name, activity_name) for an event name."""
    hit = _CACHE.get(event_name)
    if hit is None:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[event_name] = _classify(event_name)
    return hit


def _classify(name: str) -> tuple[int, int, int, str, str]:
    if name in AUTHENTICATION_EVENTS:
        class_uid, activity = AUTHENTICATION, (1 if name in _LOGON else 99)
    elif name in ACCOUNT_CHANGE_EVENTS:
        class_uid, activity = ACCOUNT_CHANGE, _account_change_activity(name)
    else:
        class_uid = API_ACTIVITY
        activity = next((uid for verb, uid in API_VERBS if _starts_with_verb(name, verb)), 99)
    names = ACTIVITY_NAMES[class_uid]
    return class_uid, CATEGORY_UIDS[class_uid], activity, CLASS_NAMES[class_uid], names[activity]


def _account_change_activity(name: str) -> int:
    if name in _ACCOUNT_CHANGE_EXACT:
        return _ACCOUNT_CHANGE_EXACT[name]
    return next((uid for part, uid in _ACCOUNT_CHANGE_RULES if part in name), 99)


def _starts_with_verb(name: str, verb: str) -> bool:
    # A verb ends where the next word starts, so "Add" matches AddUserToGroup but not "Address...".
    return name.startswith(verb) and (len(name) == len(verb) or not name[len(verb)].islower())


def status_id(event_name: str, error_code: str | None, console_login: object) -> int:
    """Success / Failure: ConsoleLogin reports it in responseElements, other calls by errorCode."""
    if event_name == "ConsoleLogin" and console_login is not None:
        return _LOGIN_STATUS.get(console_login, STATUS_UNKNOWN) if type(console_login) is str else STATUS_UNKNOWN
    return STATUS_FAILURE if error_code else STATUS_SUCCESS


def mapping_table() -> str:
    """The mapping as a markdown table, for the README."""
    rows = [
        "| CloudTrail event | OCSF class (class_uid) | category_uid | activity_id |",
        "|---|---|---|---|",
        "| `ConsoleLogin`, `ExternalIdPDirectoryLogin`, `UserAuthentication`, `AssumeRole`, "
        "`AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity` | Authentication (3002) | 3 | 1 Logon |",
        "| `CheckMfa`, `CredentialChallenge`, `CredentialVerification` | Authentication (3002) | 3 | 99 Other |",
        "| IAM account changes named `Create*` (CreateUser, CreateRole, CreateAccessKey, CreateLoginProfile, …), "
        "`ResyncMFADevice` | Account Change (3001) | 3 | 1 Create |",
        "| `ChangePassword`, `PasswordUpdated` | Account Change (3001) | 3 | 3 Password Change |",
        "| `Attach*Policy`, `Put*Policy`, `Put*PermissionsBoundary`, `AddUserToGroup` "
        "| Account Change (3001) | 3 | 7 Attach Policy |",
        "| `Detach*Policy`, `RemoveUserFromGroup`, `RemoveRoleFromInstanceProfile` "
        "| Account Change (3001) | 3 | 8 Detach Policy |",
        "| `EnableMFADevice` / `DeactivateMFADevice` | Account Change (3001) | 3 | 10 / 11 MFA Factor Enable / Disable |",
        "| `DeleteUser`, `DeleteRole`, `DeleteAccessKey`, `Delete*Policy`, `DeleteLoginProfile`, … "
        "| Account Change (3001) | 3 | 6 Delete |",
        "| other IAM account changes (`UpdateAssumeRolePolicy`, `UpdateAccessKey`, `Tag*`, …) "
        "| Account Change (3001) | 3 | 99 Other |",
        "| any other call: `Create*`/`Run*`/`Generate*` | API Activity (6003) | 6 | 1 Create |",
        "| `Get*`/`List*`/`Describe*`/`Search*`/`Lookup*` | API Activity (6003) | 6 | 2 Read |",
        "| `Update*`/`Put*`/`Attach*`/`Detach*`/`Add*`/`Remove*`/`Enable*`/`Disable*`/`Tag*`/… "
        "| API Activity (6003) | 6 | 3 Update |",
        "| `Delete*`/`Terminate*` | API Activity (6003) | 6 | 4 Delete |",
        "| anything else (e.g. `ProvisionPermissionSet`) | API Activity (6003) | 6 | 99 Other |",
    ]
    notes = (
        "\n\n`type_uid` = class_uid × 100 + activity_id; `severity_id` = 1 (Informational); "
        "`status_id` = 1 Success / 2 Failure (ConsoleLogin from `responseElements.ConsoleLogin`, "
        "other calls from `errorCode`). OCSF " + OCSF_VERSION + "."
    )
    return "\n".join(rows) + notes
