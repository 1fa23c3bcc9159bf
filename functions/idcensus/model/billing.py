"""Record types of the billing collectors; they join RECORD_TYPES through register()."""

from __future__ import annotations

from pydantic import Field

from idcensus.model.records import _Data, register


class MarketplaceCharge(_Data):
    """One AWS Marketplace product's charges in one month, as Cost Explorer reports them to the payer."""

    vendor: str = Field(description="the seller of record (Cost Explorer LEGAL_ENTITY_NAME)")
    product: str = Field(description="the Marketplace product (Cost Explorer SERVICE)")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    cost: str = Field(pattern=r"^-?\d+(\.\d+)?$", description="unblended cost, a decimal string (never a float)")
    currency: str = Field(description="ISO 4217 code, e.g. USD")
    estimated: bool = Field(description="true while AWS may still revise the month's figure")
    period_start: str = Field(description="first day covered (YYYY-MM-DD); later than the 1st for a partial month")
    period_end: str = Field(description="day after the last day covered (YYYY-MM-DD, exclusive)")


register({"billing.marketplace_charge": MarketplaceCharge})
