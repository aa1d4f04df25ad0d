"""The mapping as TEMP lookup tables (`map_*`) on a DuckDB connection, which the SQL in sql/deltas/ joins against."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from woofort_assets.lib.mapping.countries import COUNTRY_NAMES
from woofort_assets.lib.mapping.models import EU_COUNTRIES, Dimension, Mapping


def _insert(con, table: str, rows: list[list]) -> None:
    """One multi-row INSERT (executemany is slow in DuckDB)."""
    if not rows:
        return
    width = len(rows[0])
    values = ", ".join(["(" + ", ".join(["?"] * width) + ")"] * len(rows))
    con.execute(f"INSERT INTO {table} VALUES {values}", [v for row in rows for v in row])


def voucher_days_before(mapping: Mapping, now: datetime | None) -> date | None:
    """The first day whose vouchers still wait (the day is not over): `now` in the store's timezone, by default the
    clock's; None when the mapping books no vouchers."""
    if mapping.vouchers.series is None:
        return None
    if now is None:
        from woofort_assets.lib.partitions import store_timezone  # lazy: it may ask the store for its timezone

        now = datetime.now(ZoneInfo(store_timezone()))
    return mapping.vouchers.book_days_before(now)


def register_clock(con, mapping: Mapping, now: datetime | None = None) -> None:
    """TEMP table run_clock: which voucher days are over. Not a map_* table, so the build digests (which cover the
    mapping) do not change at midnight: only the vouchers' last step reads it. `now`: the store's local time
    (tests pass one)."""
    con.execute("CREATE OR REPLACE TEMP TABLE run_clock AS SELECT ?::DATE AS voucher_days_before",
                [voucher_days_before(mapping, now)])


def register_mapping(con, mapping: Mapping, shop: str, start_date: str) -> None:
    """Creates the TEMP tables map_* on this connection (replaced on every call)."""
    inv, art, cust = mapping.invoicing, mapping.articles, mapping.customers
    manual, clearing = mapping.payments.manual_refunds, mapping.payments.clearing
    con.execute(
        """CREATE OR REPLACE TEMP TABLE map_settings AS SELECT
            ?::VARCHAR AS shop, ?::DATE AS start_date, ?::VARCHAR AS home_country, ?::VARCHAR AS price_list,
            ?::VARCHAR AS invoice_date_rule, ?::BOOLEAN AS bookkeep, ?::BOOLEAN AS skip_zero_total,
            ?::INTEGER AS round_off_account, ?::VARCHAR AS registered_prefix, ?::VARCHAR AS guest_email_prefix,
            ?::VARCHAR AS guest_order_prefix, ?::VARCHAR AS sku_pattern, ?::VARCHAR AS derived_prefix,
            ?::INTEGER AS description_max_length, ?::BOOLEAN AS article_prices_include_tax,
            ?::VARCHAR AS price_source, ?::VARCHAR AS manual_refund_mode, ?::INTEGER AS manual_refund_account,
            ?::VARCHAR AS clearing_mode, ?::INTEGER AS clearing_account, ?::VARCHAR AS text_reverse_charge,
            ?::VARCHAR AS text_intra_eu_goods, ?::VARCHAR AS text_export, ?::VARCHAR AS voucher_series,
            ?::VARCHAR AS invoicing_mode, ?::DATE AS mode_from""",
        [shop, start_date, mapping.home_country, inv.price_list, inv.invoice_date, inv.bookkeep,
         inv.skip_zero_total, mapping.accounts.round_off, cust.registered_prefix, cust.guest_email_prefix,
         cust.guest_order_prefix, art.sku_pattern, art.derived_prefix, art.description_max_length,
         art.prices_include_tax, art.price_source, manual and manual.mode_of_payment, manual and manual.account,
         clearing and clearing.mode_of_payment, clearing and clearing.account, inv.legal_texts.reverse_charge,
         inv.legal_texts.intra_eu_goods, inv.legal_texts.export, mapping.vouchers.series, inv.mode,
         inv.mode_from or start_date],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE map_trigger_statuses (status VARCHAR)")
    _insert(con, "map_trigger_statuses", [[s] for s in inv.trigger_statuses])
    con.execute("CREATE OR REPLACE TEMP TABLE map_currencies (currency VARCHAR)")
    _insert(con, "map_currencies", [[c] for c in inv.allowed_currencies])
    con.execute("CREATE OR REPLACE TEMP TABLE map_rate_meta_keys (key VARCHAR, priority INTEGER, inverse BOOLEAN, "
                "per_currency BOOLEAN)")
    _insert(con, "map_rate_meta_keys", [[k.key, i, k.inverse, k.per_currency]
                                        for i, k in enumerate(inv.currency_rate_meta_keys)])
    con.execute("CREATE OR REPLACE TEMP TABLE map_eu_countries (country VARCHAR)")
    _insert(con, "map_eu_countries", [[c] for c in EU_COUNTRIES if c != mapping.home_country])
    con.execute("CREATE OR REPLACE TEMP TABLE map_accounts (region VARCHAR, country VARCHAR, kind VARCHAR, "
                "vat_rate DECIMAL(9, 4), account INTEGER)")
    _insert(con, "map_accounts", [[r, c, k, str(rate), acc] for r, c, k, rate, acc in mapping.account_rows()])
    # when each OSS rate may be booked (NULL: open); a 0 % rate is accepted on every date
    con.execute("CREATE OR REPLACE TEMP TABLE map_oss_rates (country VARCHAR, vat_rate DECIMAL(9, 4), "
                "valid_from DATE, valid_to DATE)")
    _insert(con, "map_oss_rates", [[c, str(rate), valid_from, valid_to]
                                   for c, rate, valid_from, valid_to in mapping.oss_rate_periods()])
    con.execute("CREATE OR REPLACE TEMP TABLE map_payment_methods (payment_method VARCHAR, mode_of_payment VARCHAR, "
                "account INTEGER, is_default BOOLEAN, terms_of_payment VARCHAR, due_days INTEGER, "
                "email_invoice BOOLEAN)")
    rows = [[m, p.mode_of_payment, p.account, m is None, p.terms_of_payment, p.due_days, p.email_invoice]
            for m, p in [*mapping.payments.methods.items(), (None, mapping.payments.default)] if p is not None]
    _insert(con, "map_payment_methods", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE map_payment_fees (payment_method VARCHAR, meta_key VARCHAR, "
                "priority INTEGER, currency_meta_key VARCHAR, clearing_account INTEGER, fee_account INTEGER, "
                "vat VARCHAR, vat_rate DECIMAL(9, 4), input_vat_account INTEGER, output_vat_account INTEGER, "
                "from_date DATE)")
    _insert(con, "map_payment_fees", [
        [m, key, i, p.fee.currency_meta_key, p.account, p.fee.account, p.fee.vat, str(p.fee.vat_rate),
         p.fee.deductible_vat_account, p.fee.output_vat_account, p.fee.from_date]
        for m, p in mapping.payments.methods.items() if p.fee is not None for i, key in enumerate(p.fee.meta_keys)])
    con.execute("CREATE OR REPLACE TEMP TABLE map_voucher_vat_accounts (vat_rate DECIMAL(9, 4), account INTEGER)")
    _insert(con, "map_voucher_vat_accounts", [[str(r), a] for r, a in mapping.vouchers.vat_accounts.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE map_country_names (country VARCHAR, name VARCHAR)")
    _insert(con, "map_country_names", [[code, name] for code, name in COUNTRY_NAMES.items()])
    con.execute("CREATE OR REPLACE TEMP TABLE map_dimension_rules (dimension VARCHAR, priority INTEGER, "
                "payment_method VARCHAR, country VARCHAR, currency VARCHAR, created_via VARCHAR, value VARCHAR)")
    rows = []
    for name in ("cost_center", "project"):
        dim: Dimension = getattr(mapping.dimensions, name)
        for i, rule in enumerate(dim.rules):
            w = rule.when
            rows.append([name, i, w.payment_method, w.country, w.currency, w.created_via, rule.value])
        if dim.default is not None:
            rows.append([name, 1_000_000, None, None, None, None, dim.default])
    _insert(con, "map_dimension_rules", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE map_buyer_meta_keys (kind VARCHAR, key VARCHAR, priority INTEGER)")
    _insert(con, "map_buyer_meta_keys", [[kind, key, i] for kind, keys in (
        ("vat_number", cust.vat_number_meta_keys), ("organisation_number", cust.organisation_number_meta_keys))
        for i, key in enumerate(keys)])
    con.execute("CREATE OR REPLACE TEMP TABLE map_tax_classes (tax_class VARCHAR, vat_rate DECIMAL(9, 4))")
    rows = [[k, str(v)] for k, v in art.tax_class_rates.items()]
    _insert(con, "map_tax_classes", rows)
