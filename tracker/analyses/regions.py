"""Country groups the analyses report: CN alone, CN+HK+MO as a sensitivity line, US, Europe, other, unknown."""

from __future__ import annotations

from collections.abc import Mapping

EU27 = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
EEA_EXTRA = frozenset({"IS", "LI", "NO"})
EUROPE = EU27 | EEA_EXTRA | {"GB", "CH"}
GREATER_CHINA = frozenset({"CN", "HK", "MO"})

# The order groups are shown in; CN, US, Europe, other and unknown add up to the total,
# CN+HK+MO overlaps CN (HK and MO are otherwise counted in "other").
GROUPS = ("CN", "CN+HK+MO", "US", "Europe", "other", "unknown")
PARTITION = ("CN", "US", "Europe", "other", "unknown")


def group_of(country: str | None) -> str:
    """The partition group of an ISO country code (None = unknown)."""
    if country is None or country == "":
        return "unknown"
    code = country.upper()
    if code == "CN":
        return "CN"
    if code == "US":
        return "US"
    if code in EUROPE:
        return "Europe"
    return "other"


def group_totals(by_country: Mapping[str | None, float]) -> dict[str, float]:
    """Sum per-country values into GROUPS (CN+HK+MO included as a sensitivity line)."""
    totals = dict.fromkeys(GROUPS, 0.0)
    for country, value in by_country.items():
        totals[group_of(country)] += float(value or 0)
        if country is not None and country.upper() in GREATER_CHINA:
            totals["CN+HK+MO"] += float(value or 0)
    return totals


def group_shares(by_country: Mapping[str | None, float]) -> tuple[float, dict[str, float | None]]:
    """(total, share of each group as a fraction 0..1); shares are None when the total is zero."""
    totals = group_totals(by_country)
    total = sum(totals[group] for group in PARTITION)
    if total <= 0:
        return 0.0, dict.fromkeys(GROUPS)
    return total, {group: totals[group] / total for group in GROUPS}


ATTRIBUTED = ("CN", "CN+HK+MO", "US", "Europe", "other")  # groups with a known country


def attributed_shares(
    by_country: Mapping[str | None, float],
) -> tuple[float, dict[str, float | None], float | None]:
    """(attributed total, each known group's share of it, coverage = attributed total / total).

    The headline shares: unknown-country items are left out of the denominator, and the coverage says how
    much of the total that denominator is. Shares are None when nothing is attributed; coverage is None when
    the total is zero.
    """
    totals = group_totals(by_country)
    total = sum(totals[group] for group in PARTITION)
    attributed = total - totals["unknown"]
    coverage = attributed / total if total > 0 else None
    if attributed <= 0:
        return 0.0, dict.fromkeys(ATTRIBUTED), coverage
    return attributed, {group: totals[group] / attributed for group in ATTRIBUTED}, coverage
