"""`fortnox/preflight`: before anything is written, check the Fortnox company against what will be written.

The asset reads the delta tables (GETs only against Fortnox) and carries a blocking ERROR check,
`fortnox_ready`; every sink asset depends on it, so a failing preflight stops the sinks of the same run and
nothing is written. Checks:
1. scopes and licences: one cheap GET per resource that will be written (2000663 -> missing scope,
   2001101 -> missing module licence, 401 -> not connected);
2. financial year: one GET /3/financialyears?date= per month of document dates (Swedish financial years start
   on the first of a month) and, when Fortnox has it, the locked period (/3/settings/lockedperiod);
3. accounts: every account of the mapping and every AccountNumber / ModeOfPaymentAccount in the payloads exists
   and is active (GET /3/accounts/{n});
4. modes of payment: every ModeOfPayment the payment payloads use exists (/3/modesofpayments). Mapped modes no
   pending payment uses are listed as warnings (they do not block: a shop may map a method it never sees);
   terms of payment: every TermsOfPayment the mapping or a pending invoice names exists (/3/termsofpayments);
5. unmapped values (warnings, never blocking): payment methods of paid orders and VAT rates of order lines that
   the mapping lacks (woofort_assets/lib/unmapped.py, the same list `woofort sync`'s summary shows);
6. EU distance sales (warnings): invoices that charge home VAT to consumers in other member states while
   Fortnox counts the year's or last year's distance sales over the threshold (/3/euvatlimitregulation);
7. currency: the store's base currency (read by the orders crawl) must be the company's, SEK
   (lib/base_currency.py); and Fortnox's currency register is read into ledger.fortnox_currency_rates for the
   next delta build (lib/fx_rates.py: a foreign-currency invoice takes its rate only when the register's date is
   the invoice date).
8. VAT model (opt-in, FORTNOX_PREFLIGHT_CALIBRATE, only with invoices or credits pending): a probe order or
   invoice, cancelled at once, measures how Fortnox rounds VAT (defs/fortnox/calibration.py); a model other than
   the one the invoices were built for blocks the run (the next build uses the stored model)."""



from collections import defaultdict

import dagster as dg

from woofort_assets.defs.fortnox.assets import GROUP, KINDS, POOL, PREFLIGHT, delta_key
from woofort_assets.defs.fortnox.calibration import preflight_step
from woofort_assets.defs.fortnox.engine.ledger import DELTA_TABLES, DeltaRow, Ledger
from woofort_assets.defs.fortnox.engine.lookups import is_true
from woofort_assets.defs.fortnox.engine.steps import envelope_of
from woofort_assets.lib.base_currency import currency_problem, stored_store_currency
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.fx_rates import read_register, store_register
from woofort_assets.lib.mapping import EU_COUNTRIES, load_mapping
from woofort_assets.lib.settings import mapping_path, shop_key, value
from woofort_assets.lib.unmapped import unmapped_values
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxError
from woofort_assets.resources.fortnox.endpoints import ACCOUNTS

CHECK_NAME = "fortnox_ready"

# scope -> (probe path, list key, what needs it)
PROBES = {
    "article": ("/3/articles", "Articles"),
    "price": ("/3/prices", "Prices"),
    "customer": ("/3/customers", "Customers"),
    "invoice": ("/3/invoices", "Invoices"),
    "payment": ("/3/invoicepayments", "InvoicePayments"),
    "bookkeeping": ("/3/financialyears", "FinancialYears"),
    "settings": ("/3/modesofpayments", "ModesOfPayments"),
}
TABLE_SCOPES = {
    "article_delta": ("article",),
    "price_delta": ("price",),
    "stock_delta": ("article",),
    "customer_delta": ("customer",),
    "invoice_delta": ("invoice",),
    "credit_delta": ("invoice",),
    "payment_delta": ("payment", "settings"),
}
DATE_FIELDS = {"invoice_delta": "InvoiceDate", "credit_delta": "InvoiceDate", "payment_delta": "PaymentDate"}


def _mapping():
    """(mapping or None, problem or None)."""
    try:
        return load_mapping(mapping_path()), None
    except Exception as err:  # noqa: BLE001 - reported as a preflight problem
        return None, f"mapping: {err}"


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
            if inner.get("ModeOfPayment"):
                modes[str(inner["ModeOfPayment"])].add(f"{row.entity} {row.source_key}")
            field = DATE_FIELDS.get(table)
            if field and row.action not in ("cancel", "reissue"):   # the sink dates a correction past the lock
                value = str(inner.get(field) or "")[:10]
                if len(value) == 10:
                    dates[value[:7]].append(value)
    return accounts, modes, dates


def _sample(items, n: int = 5) -> str:
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


def run_preflight(client, deltas: dict[str, list[DeltaRow]], mapping, mapping_problem: str | None,
                  unmapped: list[str] | None = None):
    """(problems, warnings, checked): lists of strings and a dict of what was checked. `unmapped`: warnings from
    `unmapped_warnings`, listed first (they never block)."""
    problems: list[str] = []
    warnings: list[str] = list(unmapped or [])
    checked: dict[str, object] = {}
    if mapping_problem:
        problems.append(mapping_problem)

    tables = [t for t, rows in deltas.items() if rows]
    scopes: dict[str, list[str]] = defaultdict(list)
    for t in tables:
        for scope in TABLE_SCOPES[t]:
            scopes[scope].append(t)
    scopes["bookkeeping"].append("financial year / account checks")
    checked["scopes"] = sorted(scopes)

    # 1. scopes and licences
    for scope, needed_by in sorted(scopes.items()):
        path, _ = PROBES[scope]
        try:
            client.get(path, {"limit": 1})
        except FortnoxAuthError as err:
            problems.append(f"not connected to Fortnox ({err.message}): run `woofort fortnox connect`")
            return problems, warnings, checked
        except FortnoxError as err:
            if err.code == 2000663:
                problems.append(f"scope '{scope}' missing from the authorization (needed for "
                                f"{', '.join(needed_by)}): Fortnox says '{err.message}' (2000663). Add the scope "
                                "to the integration and run `woofort fortnox connect` again.")
            elif err.code == 2001101:
                problems.append(f"the company has no active licence for the module behind scope '{scope}' "
                                f"(needed for {', '.join(needed_by)}): Fortnox says '{err.message}' (2001101). "
                                "Activate the module in Fortnox.")
            elif err.code == 2001103:
                problems.append(f"the company has no API licence (2001103): {err.message}")
            elif err.http_status == 404:
                warnings.append(f"could not probe scope '{scope}' (GET {path}: 404)")
            else:
                problems.append(f"GET {path} failed: {err}")
    if problems:
        return problems, warnings, checked

    accounts_used, modes_used, dates = payload_refs(deltas)

    # 2. financial years, one date per month
    months = sorted(dates)
    checked["months"] = months
    for month in months:
        day = min(dates[month])
        years = client.get("/3/financialyears", {"date": day}).get("FinancialYears") or []
        if not years:
            problems.append(f"no financial year is open in Fortnox for {day} ({len(dates[month])} document(s) "
                            f"dated {month}): create the financial year in Fortnox (Inställningar > Räkenskapsår)")
    if months:
        try:
            locked = client.get("/3/settings/lockedperiod").get("LockedPeriod") or {}
            end = str(locked.get("EndDate") or "")[:10]
            if end:
                checked["locked_until"] = end
                for month in months:
                    bad = [d for d in dates[month] if d <= end]
                    if bad:
                        problems.append(f"{len(bad)} document(s) dated {min(bad)}..{max(bad)} fall in the locked "
                                        f"period (locked until {end}) in Fortnox")
        except FortnoxAuthError:
            raise
        except FortnoxError:
            pass  # not available (older API / sandbox): the financial-year check stands alone

    # 3. accounts
    wanted: dict[int, list[str]] = defaultdict(list)
    for account, where in mapped_accounts(mapping).items():
        wanted[account].extend(f"mapping {w}" for w in where)
    for account, users in accounts_used.items():
        wanted[account].append(f"payloads: {_sample(users, 3)}")
    checked["accounts"] = sorted(wanted)
    for account in sorted(wanted):
        doc = ACCOUNTS.get_or_none(client, str(account))
        where = "; ".join(wanted[account][:4])
        if doc is None:
            problems.append(f"account {account} does not exist in Fortnox (used by {where})")
        elif doc.get("Active") is not None and not is_true(doc.get("Active")):
            problems.append(f"account {account} is inactive in Fortnox (used by {where})")

    # 4. modes of payment
    existing = {str(m.get("Code")) for m in client.iterate("/3/modesofpayments", "ModesOfPayments")}
    mapped = mapped_modes(mapping)
    checked["modes_of_payment"] = sorted(set(mapped) | set(modes_used))
    for code, users in sorted(modes_used.items()):
        if code not in existing:
            problems.append(f"mode of payment {code} does not exist in Fortnox (used by {_sample(users, 3)}; "
                            "create it under Inställningar > Betalningssätt)")
    for code, methods in sorted(mapped.items()):
        if code not in existing and code not in modes_used:
            warnings.append(f"mode of payment {code} (mapped for {', '.join(methods)}) does not exist in "
                            "Fortnox; no pending payment uses it yet")

    problems.extend(terms_problems(client, mapping, deltas.get("invoice_delta") or [], checked))
    # 6. EU distance sales
    warnings.extend(distance_sales_warnings(client, deltas.get("invoice_delta") or [], mapping, checked))
    return problems, warnings, checked


def terms_problems(client, mapping, invoices: list[DeltaRow], checked: dict) -> list[str]:
    """4b. Every TermsOfPayment the mapping gives a payment method, or a pending invoice carries, exists in the
    company (/3/termsofpayments): Fortnox refuses an invoice naming one it lacks (GUESS, docs/fortnox-fidelity.md)."""
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
    return [f"terms of payment {code} does not exist in Fortnox (used by {_sample(where, 3)}; create them under "
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
            orders = _sample([str(r.order_id) for r in abroad], 5)
            out.append(f"EU distance sales {year}: {limit.get('TotalExclVat')} over the threshold "
                       f"{limit.get('Limit')} in Fortnox, yet {len(abroad)} invoice(s) charge home VAT to consumers "
                       f"in other member states (orders {orders}): charge the buyers' country's VAT (OSS) in "
                       "WooCommerce's tax settings")
    checked["eu_distance_sales"] = seen
    return out


def currency_checks(client, database, mapping, problems: list, warnings: list, checked: dict) -> None:
    """Check 7: refuses a store whose base currency is not the company's; stores Fortnox's currency register."""
    with connect(database) as con:
        store = stored_store_currency(con, shop_key())
        checked["store_currency"] = store
        if store is None:
            warnings.append("base currency: the store's is not known yet (the WooCommerce orders crawl reads it)")
        elif problem := currency_problem(store):
            problems.append(problem)
        if mapping is not None:
            rates, unread = read_register(client, mapping.invoicing.allowed_currencies)
            warnings.extend(unread)
            store_register(con, shop_key(), rates)
            checked["currency_register"] = {code: f"{rate} per {unit} on {day}" for code, day, rate, unit in rates}


@dg.asset(key=PREFLIGHT, group_name=GROUP, kinds=KINDS, pool=POOL, required_resource_keys={"duckdb", "fortnox"},
          deps=[delta_key(t) for t in DELTA_TABLES],
          check_specs=[dg.AssetCheckSpec(CHECK_NAME, asset=PREFLIGHT, blocking=True,
                                         description="The Fortnox company can take what the deltas will write: "
                                                     "scopes/modules, open financial year, accounts, modes of "
                                                     "payment. Blocks every Fortnox sink when it fails.")],
          description="Checks the Fortnox company against the pending deltas before any sink writes (GETs only).")
def fortnox_preflight(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    with Ledger(context.resources.duckdb.database, shop_key()) as ledger:
        deltas = {t: ledger.delta_rows(t) or [] for t in DELTA_TABLES}
    mapping, mapping_problem = _mapping()
    unmapped = unmapped_warnings(context.resources.duckdb.database, mapping)
    client = context.resources.fortnox.get_client()
    problems, warnings, checked = run_preflight(client, deltas, mapping, mapping_problem, unmapped)
    currency_checks(client, context.resources.duckdb.database, mapping, problems, warnings, checked)
    calibrate = value("FORTNOX_PREFLIGHT_CALIBRATE")
    if calibrate != "off" and not problems and (deltas.get("invoice_delta") or deltas.get("credit_delta")):
        more = preflight_step(client, context.resources.duckdb.database, shop_key(), calibrate, mapping)
        problems.extend(more[0])
        warnings.extend(more[1])
        checked.update(more[2])
    metadata = {
        "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        "problem_count": dg.MetadataValue.int(len(problems)),
        "warnings": dg.MetadataValue.md("\n".join(f"- {w}" for w in warnings) or "none"),
        "checked": dg.MetadataValue.json(checked),
        "pending_rows": dg.MetadataValue.json({t: len(r) for t, r in deltas.items()}),
    }
    for p in problems:
        context.log.error(f"fortnox preflight: {p}")
    for w in warnings:  # unmapped values: info only, `woofort sync`'s summary lists them with the lines to add
        (context.log.info if w in unmapped else context.log.warning)(f"fortnox preflight: {w}")
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[dg.AssetCheckResult(
            check_name=CHECK_NAME, passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
            metadata={**metadata},
            description=("Fortnox is ready" if not problems else
                         f"{len(problems)} problem(s): " + " | ".join(problems[:3])))],
    )
