"""Record ids are unambiguous: no two different sources give one id."""

from idcensus.collect.costs import charge_id


def test_marketplace_charge_ids_escape_slashes():
    assert charge_id("2026-10", "a", "b/c") != charge_id("2026-10", "a/b", "c")
    assert charge_id("2026-10", "a", "b/c") == "marketplace/2026-10/a/b%2Fc"
    assert charge_id("2026-10", "a%2Fb", "c") != charge_id("2026-10", "a/b", "c")


def test_plain_names_keep_the_id_they_always_had():
    assert charge_id("2026-10", "Acme Corp", "Acme SIEM") == "marketplace/2026-10/Acme Corp/Acme SIEM"
