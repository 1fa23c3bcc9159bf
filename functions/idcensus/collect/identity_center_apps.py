"""Identity Center applications: who can reach which application (SaaS or AWS-managed) through
Identity Center. Per instance this account owns: one paginated ListApplications, then per
application its assignments and whether assignment is required (when not, every user of the
instance may sign in). The instance listing is shared with the identity_center collector.

The instance's identity source (built-in directory, external IdP, Active Directory) is not
exposed by any public API (DescribeInstance has no such field), so it is not collected.
"""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each_alive
from idcensus.collect.documents import timestamp
from idcensus.collect.identity_center import owned_instances
from idcensus.model.records import Item
from idcensus.model.sso import SsoApplication, SsoApplicationAssignment

CAPABILITY = "sso.applications"
Raw = list[tuple[dict, dict]]  # (ListApplications entry, {"assignments": [...], "required": bool})


def get(ctx: Context, region: str | None) -> Raw:
    region = ctx.options.identity_center_region or ctx.home_region
    sso = ctx.client("sso-admin", region)
    try:
        instances = owned_instances(ctx, sso)
    except Exception:  # noqa: BLE001 - sso.instances records the denial; nothing here can be read
        ctx.out.capabilities[CAPABILITY] = "skipped"
        return []
    apps = [a for i in instances for a in paginate(sso, "list_applications", "Applications", InstanceArn=i["InstanceArn"])]

    def read(app: dict) -> dict:
        arn = app["ApplicationArn"]
        return {"assignments": paginate(sso, "list_application_assignments", "ApplicationAssignments",
                                        ApplicationArn=arn),
                "required": sso.get_application_assignment_configuration(ApplicationArn=arn).get("AssignmentRequired")}

    return each_alive(read, apps, ctx.out, what="application", name=lambda a: a["ApplicationArn"],
                      workers=ctx.workers)


def transform(raw: Raw, scope: Scope) -> list[Item]:
    return [("sso.application", a["ApplicationArn"], SsoApplication(
        arn=a["ApplicationArn"], instance_arn=a["InstanceArn"], name=a.get("Name") or a["ApplicationArn"],
        description=a.get("Description"), status=a.get("Status"), provider_arn=a.get("ApplicationProviderArn"),
        application_account=a.get("ApplicationAccount"), created_at=timestamp(a.get("CreatedDate")),
        visibility=(a.get("PortalOptions") or {}).get("Visibility"), assignment_required=reads["required"],
        assignments=sorted((SsoApplicationAssignment(principal_id=x["PrincipalId"], principal_type=x["PrincipalType"])
                            for x in reads["assignments"]), key=lambda x: (x.principal_type, x.principal_id)),
    )) for a, reads in raw]
