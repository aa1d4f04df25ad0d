"""The accounting mapping file (mapping/mapping.yaml): loaded, validated, and handed to the delta SQL.

`load_mapping(path)` parses the YAML with PyYAML's node tree (so every value keeps its line), validates it
with pydantic and raises `MappingError` whose message names the file, the line and the setting, e.g.
`mapping.yaml:31: accounts.sweden.sales.25: account 30011 must be a 4-digit BAS account (1000-9999)`.
`register_mapping(con, mapping, shop, start_date)` turns it into small TEMP lookup tables (`map_*`) that the
SQL files in sql/deltas/ join against; the SQL itself never sees Python values.

`models` holds the pydantic models (what a valid mapping is), `loader` the YAML with line numbers and the error
messages, `tables` the DuckDB lookup tables."""

from woofort_assets.lib.mapping.loader import load_mapping, mapping_or_problem, parse_mapping
from woofort_assets.lib.mapping.models import (
    EU_COUNTRIES,
    KINDS,
    REGIONS,
    Accounts,
    Articles,
    Customers,
    DatedRate,
    Dimension,
    Dimensions,
    EuConsumerAccounts,
    Invoicing,
    Mapping,
    MappingError,
    OssCountry,
    PaymentMethod,
    Payments,
    RegionAccounts,
    Rule,
    RuleWhen,
    SwedenAccounts,
)
from woofort_assets.lib.mapping.tables import register_clock, register_mapping, voucher_days_before

__all__ = [
    "EU_COUNTRIES", "KINDS", "REGIONS", "Accounts", "Articles", "Customers", "DatedRate", "Dimension", "Dimensions",
    "EuConsumerAccounts", "Invoicing", "Mapping", "MappingError", "OssCountry", "PaymentMethod", "Payments",
    "RegionAccounts", "Rule", "RuleWhen", "SwedenAccounts", "load_mapping", "mapping_or_problem", "parse_mapping", "register_clock",
    "register_mapping", "voucher_days_before",
]
