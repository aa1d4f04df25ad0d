"""What the preflight (preflight.py) checks besides scopes, financial years, accounts and modes of payment: terms of
payment, EU distance sales, currency, unmapped values; and what the mapping and the pending payloads refer to."""

from collections import defaultdict

from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.lookups import is_true
from woofort_assets.defs.fortnox.engine.queries import orders_waiting_for_rate
from woofort_assets.defs.fortnox.engine.steps import envelope_of
from woofort_assets.lib.base_currency import currency_problem, stored_store_currency
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.fx_rates import read_register, store_register
from woofort_assets.lib.mapping import EU_COUNTRIES
from woofort_assets.lib.settings import shop_key, value
from woofort_assets.lib.unmapped import unmapped_values
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxError

DATE_FIELDS = {"invoice_delta": "InvoiceDate", "credit_delta": "InvoiceDate", "payment_delta": "PaymentDate",
               "fee_voucher_delta": "TransactionDate", "daily_voucher_delta": "TransactionDate"}


def mapped_accounts(mapping) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if mapping is None:
        return out
    for region, country, kind, rate, account in mapping.account_rows():
        where = f"accounts.{region}{'.' + country if country else ''}.{kind}"
        if where not in out[int(account)]:
            out[int(account)].append(where)
    out[int(mapping.accounts.round_off)].append("accounts.round_off")
    for method, spec in (mapping.payments.methods or {}).items():
        if spec is not None:
            out[int(spec.account)].append(f"payments.methods.{method}.account")
            fee = spec.fee
            if fee is not None:
                out[fee.account].append(f"payments.methods.{method}.fee.account")
                if fee.vat != "exempt":
                    out[fee.deductible_vat_account].append(f"payments.methods.{method}.fee.input_vat_account")
                if fee.vat == "reverse_charge":
                    out[fee.output_vat_account].append(f"payments.methods.{method}.fee.output_vat_account")
    for rate, account in mapping.vouchers.vat_accounts.items():
        out[account].append(f"vouchers.vat_accounts.{rate}")
    return out


def mapped_modes(mapping) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if mapping is None:
        return out
    for method, spec in (mapping.payments.methods or {}).items():
        if spec is not None:
            out[spec.mode_of_payment].append(method)
    for use in ("manual_refunds", "clearing"):
        spec = getattr(mapping.payments, use)
        if spec is not None:
            out[spec.mode_of_payment].append(f"payments.{use}")
    return out


def payload_refs(deltas: dict[str, list[DeltaRow]]):
    """Accounts, modes of payment and document dates the pending payloads use."""
    accounts: dict[int, set[str]] = defaultdict(set)
    modes: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, list[str]] = defaultdict(list)   # month -> dates
    for table, rows in deltas.items():
        for row in rows:
            _, inner = envelope_of(row.payload)
            for field in ("SalesAccount", "ModeOfPaymentAccount", "AccountNumber"):
                if str(inner.get(field) or "").isdigit():
                    accounts[int(inner[field])].add(f"{row.entity} {row.source_key}")
            for item in inner.get("InvoiceRows") or []:
                if isinstance(item, dict) and str(item.get("AccountNumber") or "").isdigit():
                    accounts[int(item["AccountNumber"])].add(f"{row.entity} {row.source_key}")
            for item in inner.get("VoucherRows") or []:
                if isinstance(item, dict) and str(item.get("Account") or "").isdigit():
                    accounts[int(item["Account"])].add(f"{row.entity} {row.source_key}")
            if inner.get("ModeOfPayment"):
                modes[str(inner["ModeOfPayment"])].add(f"{row.entity} {row.source_key}")
            field = DATE_FIELDS.get(table)
            if field and row.action not in ("cancel", "reissue"):   # the sink dates a correction past the lock
                value = str(inner.get(field) or "")[:10]
                if len(value) == 10:
                    dates[value[:7]].append(value)
    return accounts, modes, dates


def sample(items, n: int = 5) -> str:
    items = sorted(items)
    return ", ".join(items[:n]) + (f" (+{len(items) - n} more)" if len(items) > n else "")


def unmapped_warnings(database, mapping) -> list[str]:
    """One warning per payment method or VAT rate of the staged orders that `mapping` lacks (lib/unmapped.py)."""
    if mapping is None:
        return []
    with connect(database) as con:
        found = unmapped_values(con, mapping, shop_key(), str(value("WOOFORT_START_DATE")))
    return [f"{u.message()}; add to the mapping: {' '.join(u.mapping_lines.split('#', 1)[0].split())}"
            for u in found]


def terms_problems(client, mapping, invoices: list[DeltaRow], checked: dict) -> list[str]:
    """4b. Every TermsOfPayment the mapping gives a payment method, or a pending invoice carries, exists in the
    company (/3/termsofpayments): Fortnox refuses an invoice naming one it lacks (GUESS, docs/fortnox-fidelity.md).
    Read only when invoices are pending: no other document carries terms."""
    if not invoices:
        return []
    users: dict[str, list[str]] = defaultdict(list)
    specs = {**mapping.payments.methods, None: mapping.payments.default} if mapping else {}
    for method, spec in specs.items():
        if spec is not None and spec.terms_of_payment:
            users[spec.terms_of_payment].append(f"payments.{'methods.' + method if method else 'default'}")
    for r in invoices:
        code = envelope_of(r.payload)[1].get("TermsOfPayment")
        if code and len(users[str(code)]) < 4:
            users[str(code)].append(f"order {r.order_id}")
    if not users:
        return []
    existing = {str(t.get("Code")) for t in client.iterate("/3/termsofpayments", "TermsOfPayments")}
    checked["terms_of_payment"] = sorted(users)
    return [f"terms of payment {code} does not exist in Fortnox (used by {sample(where, 3)}; create them under "
            "Inställningar > Betalningsvillkor or change the mapping)" for code, where in sorted(users.items())
            if code not in existing]


def distance_sales_warnings(client, invoices: list[DeltaRow], mapping, checked: dict) -> list[str]:
    """Home VAT charged to consumers in other member states is right only while the company's EU distance sales
    stay under EUR 10,000 this and last calendar year (docs/accounting.md "Regions and VAT numbers"): one warning
    per year Fortnox counts over the threshold, when invoices about to be written charge home VAT abroad."""
    home = mapping.home_country if mapping else "SE"
    abroad = [r for r in invoices if r.extra.get("region") == "sweden"
              and r.extra.get("tax_country") in set(EU_COUNTRIES) - {home}]
    if not abroad:
        return []
    years = sorted({y for r in abroad for y in (r.extra["invoice_date"].year, r.extra["invoice_date"].year - 1)})
    out, seen = [], {}
    for year in years:
        try:
            limit = client.get("/3/euvatlimitregulation", {"year": year}).get("EUVatLimitRegulation") or {}
        except FortnoxAuthError:
            raise
        except FortnoxError as err:
            return [f"could not read the EU distance sales from Fortnox (GET /3/euvatlimitregulation: {err}); "
                    f"{len(abroad)} invoice(s) charge home VAT to EU consumers: check the EUR 10,000 threshold"]
        seen[year] = limit.get("TotalExclVat")
        if is_true(limit.get("IsOverLimit")):
            orders = sample([str(r.order_id) for r in abroad], 5)
            out.append(f"EU distance sales {year}: {limit.get('TotalExclVat')} over the threshold "
                       f"{limit.get('Limit')} in Fortnox, yet {len(abroad)} invoice(s) charge home VAT to consumers "
                       f"in other member states (orders {orders}): charge the buyers' country's VAT (OSS) in "
                       "WooCommerce's tax settings")
    checked["eu_distance_sales"] = seen
    return out


def currency_checks(client, database, mapping, invoices_pending: bool, problems: list, warnings: list,
                    checked: dict) -> None:
    """Check 7: refuses a store whose base currency is not the company's; stores Fortnox's currency register when
    invoices are pending or orders wait for a rate (the next delta build dates their rate by it)."""
    with connect(database) as con:
        store = stored_store_currency(con, shop_key())
        checked["store_currency"] = store
        if store is None:
            warnings.append("base currency: the store's is not known yet (the WooCommerce orders crawl reads it)")
        elif problem := currency_problem(store):
            problems.append(problem)
        if mapping is not None and (invoices_pending or orders_waiting_for_rate(con, shop_key())):
            rates, unread = read_register(client, mapping.invoicing.allowed_currencies)
            warnings.extend(unread)
            store_register(con, shop_key(), rates)
            checked["currency_register"] = {code: f"{rate} per {unit} on {day}" for code, day, rate, unit in rates}
