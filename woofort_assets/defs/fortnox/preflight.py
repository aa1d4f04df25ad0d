"""`fortnox/preflight`: before anything is written, check the Fortnox company against what will be written.

The asset reads the delta tables (GETs only against Fortnox) and carries a blocking ERROR check,
`fortnox_ready`; every sink asset depends on it, so a failing preflight stops the sinks of the same run and
nothing is written. Each check runs only when a pending document needs it, so a run with nothing pending makes no
call. Checks:
1. scopes and licences: one cheap GET per resource that will be written (2000663 -> missing scope,
   2001101 -> missing module licence, 401 -> not connected); the bookkeeping scope's is the first month's check 2;
2. financial year: one GET /3/financialyears?date= per month of document dates (Swedish financial years start
   on the first of a month) and, when Fortnox has it, the locked period (/3/settings/lockedperiod);
3. accounts: every account of the mapping and every AccountNumber / ModeOfPaymentAccount / voucher row Account in
   the payloads exists and is active (one listing of the chart, GET /3/accounts);
4. modes of payment, when a payload names one: every ModeOfPayment the payloads use exists (/3/modesofpayments).
   Mapped modes no pending payment uses are listed as warnings (they do not block: a shop may map a method it never
   sees); terms of payment, with invoices pending: every TermsOfPayment the mapping or a pending invoice names
   exists (/3/termsofpayments); the voucher series, with vouchers pending;
5. unmapped values (warnings, never blocking): payment methods of paid orders and VAT rates of order lines that
   the mapping lacks (woofort_assets/lib/unmapped.py, the same list `woofort sync`'s summary shows);
6. EU distance sales (warnings): invoices that charge home VAT to consumers in other member states while
   Fortnox counts the year's or last year's distance sales over the threshold (/3/euvatlimitregulation);
7. currency: the store's base currency (read by the orders crawl) must be the company's, SEK
   (lib/base_currency.py); and, with invoices pending or orders waiting for a rate, Fortnox's currency register is
   read into ledger.fortnox_currency_rates for the next delta build (lib/fx_rates.py: a foreign-currency invoice
   takes its rate only when the register's date is the invoice date).
8. VAT model (opt-in, FORTNOX_PREFLIGHT_CALIBRATE, only with invoices or credits pending): a probe order or
   invoice, cancelled at once, measures how Fortnox rounds VAT (defs/fortnox/calibration.py); a model other than
   the one the invoices were built for blocks the run (the next build uses the stored model).
Checks 1-4 are here; terms of payment, 5, 6 and 7 in preflight_checks.py, 8 in calibration.py."""

from collections import defaultdict

import dagster as dg

from woofort_assets.defs.fortnox.assets import GROUP, KINDS, POOL, PREFLIGHT, delta_key
from woofort_assets.defs.fortnox.calibration import preflight_step
from woofort_assets.defs.fortnox.engine.ledger import DELTA_TABLES, DeltaRow, Ledger
from woofort_assets.defs.fortnox.engine.lookups import is_true
from woofort_assets.defs.fortnox.preflight_checks import (
    currency_checks, distance_sales_warnings, mapped_accounts, mapped_modes, payload_refs, sample, terms_problems,
    unmapped_warnings)
from woofort_assets.lib.mapping import mapping_or_problem
from woofort_assets.lib.settings import mapping_path, shop_key, value
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxError
from woofort_assets.resources.fortnox.endpoints import ACCOUNTS, VOUCHER_SERIES

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
    "inbox": ("/3/inbox", "Folder"),
    "connectfile": ("/3/voucherfileconnections", "VoucherFileConnections"),
}
TABLE_SCOPES = {
    "article_delta": ("article",),
    "price_delta": ("price",),
    "stock_delta": ("article",),
    "customer_delta": ("customer",),
    "invoice_delta": ("invoice",),
    "credit_delta": ("invoice",),
    "payment_delta": ("payment", "settings"),
    "fee_voucher_delta": ("bookkeeping", "inbox", "connectfile"),
    "daily_voucher_delta": ("bookkeeping", "inbox", "connectfile"),
}


def series_problems(client, mapping, vouchers: list[DeltaRow], checked: dict) -> list[str]:
    """5. The voucher series the mapping books in exists (vouchers in a missing series are refused one by one)."""
    series = mapping.vouchers.series if mapping is not None else None
    if series is None:
        return []
    checked["voucher_series"] = series
    if VOUCHER_SERIES.get_or_none(client, series) is not None:
        return []
    return [f"voucher series {series} (mapping vouchers.series) does not exist in Fortnox"
            f"{f' ({len(vouchers)} voucher(s) wait for it)' if vouchers else ''}: create it under "
            "Inställningar > Bokföring > Verifikationsserier"]


def scope_problem(scope: str, needed_by: list[str], path: str, err: FortnoxError) -> tuple[str | None, str | None]:
    """(problem, warning) for a probe of `scope` that Fortnox refused."""
    used = ", ".join(needed_by)
    if err.code == 2000663:
        return (f"scope '{scope}' missing from the authorization (needed for {used}): Fortnox says "
                f"'{err.message}' (2000663). Add the scope to the integration and run `woofort fortnox connect` "
                "again."), None
    if err.code == 2001101:
        return (f"the company has no active licence for the module behind scope '{scope}' (needed for {used}): "
                f"Fortnox says '{err.message}' (2001101). Activate the module in Fortnox."), None
    if err.code == 2001103:
        return f"the company has no API licence (2001103): {err.message}", None
    if err.http_status == 404:
        return None, f"could not probe scope '{scope}' (GET {path}: 404)"
    return f"GET {path} failed: {err}", None


def modes_problems(client, mapping, modes_used: dict[str, set[str]], checked: dict) -> tuple[list[str], list[str]]:
    """4. Every ModeOfPayment a pending payload names exists (a problem); every mapped one too (a warning: a shop may
    map a method it never sees)."""
    existing = {str(m.get("Code")) for m in client.iterate("/3/modesofpayments", "ModesOfPayments")}
    mapped = mapped_modes(mapping)
    checked["modes_of_payment"] = sorted(set(mapped) | set(modes_used))
    problems = [f"mode of payment {code} does not exist in Fortnox (used by {sample(users, 3)}; create it under "
                "Inställningar > Betalningssätt)"
                for code, users in sorted(modes_used.items()) if code not in existing]
    warnings = [f"mode of payment {code} (mapped for {', '.join(methods)}) does not exist in Fortnox; no pending "
                "payment uses it yet" for code, methods in sorted(mapped.items())
                if code not in existing and code not in modes_used]
    return problems, warnings


def run_preflight(client, deltas: dict[str, list[DeltaRow]], mapping, mapping_problem: str | None,
                  unmapped: list[str] | None = None):
    """(problems, warnings, checked): lists of strings and a dict of what was checked. `unmapped`: warnings from
    `unmapped_warnings`, listed first (they never block). Each step runs only when something pending needs it, so
    a run with nothing to write makes no call and a day of vouchers makes a few (B5, docs/performance.md)."""
    problems: list[str] = []
    warnings: list[str] = list(unmapped or [])
    checked: dict[str, object] = {}
    if mapping_problem:
        problems.append(mapping_problem)

    tables = [t for t, rows in deltas.items() if rows]
    if not tables:
        checked["pending"] = "nothing: no call made"
        return problems, warnings, checked
    scopes: dict[str, list[str]] = defaultdict(list)
    for t in tables:
        for scope in TABLE_SCOPES[t]:
            scopes[scope].append(t)
    scopes["bookkeeping"].append("financial year / account checks")
    checked["scopes"] = sorted(scopes)
    accounts_used, modes_used, dates = payload_refs(deltas)
    months = sorted(dates)

    # 1. scopes and licences (the bookkeeping scope's probe is the first month's financial-year GET, kept for 2)
    answers: dict[str, dict] = {}
    for scope, needed_by in sorted(scopes.items()):
        path, _ = PROBES[scope]
        params = {"date": min(dates[months[0]])} if scope == "bookkeeping" and months else {"limit": 1}
        try:
            answers[scope] = client.get(path, params)
        except FortnoxAuthError as err:
            problems.append(f"not connected to Fortnox ({err.message}): run `woofort fortnox connect`")
            return problems, warnings, checked
        except FortnoxError as err:
            problem, warning = scope_problem(scope, needed_by, path, err)
            problems.extend([problem] if problem else [])
            warnings.extend([warning] if warning else [])
    if problems:
        return problems, warnings, checked

    # 2. financial years, one date per month
    checked["months"] = months
    for month in months:
        day = min(dates[month])
        answer = (answers["bookkeeping"] if month == months[0] and "bookkeeping" in answers
                  else client.get("/3/financialyears", {"date": day}))
        years = answer.get("FinancialYears") or []
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
        wanted[account].append(f"payloads: {sample(users, 3)}")
    checked["accounts"] = sorted(wanted)
    # one listing (a BAS chart: 2-3 pages of 500) instead of a GET per account: a daily run's preflight costs a
    # few calls, not one per mapped account (B5, docs/performance.md)
    chart = {int(a["Number"]): a for a in ACCOUNTS.iterate(client) if str(a.get("Number", "")).isdigit()}
    checked["chart_of_accounts"] = len(chart)   # pages of 500: what the listing cost
    for account in sorted(wanted):
        doc = chart.get(account)
        where = "; ".join(wanted[account][:4])
        if doc is None:
            problems.append(f"account {account} does not exist in Fortnox (used by {where})")
        elif doc.get("Active") is not None and not is_true(doc.get("Active")):
            problems.append(f"account {account} is inactive in Fortnox (used by {where})")

    # 4. modes of payment, when a pending payload names one
    if modes_used or deltas.get("payment_delta"):
        problems_, warnings_ = modes_problems(client, mapping, modes_used, checked)
        problems.extend(problems_)
        warnings.extend(warnings_)

    problems.extend(terms_problems(client, mapping, deltas.get("invoice_delta") or [], checked))
    problems.extend(series_problems(client, mapping, [*(deltas.get("fee_voucher_delta") or []),
                                                      *(deltas.get("daily_voucher_delta") or [])], checked))
    # 6. EU distance sales
    warnings.extend(distance_sales_warnings(client, deltas.get("invoice_delta") or [], mapping, checked))
    return problems, warnings, checked


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
    mapping, mapping_problem = mapping_or_problem(mapping_path())
    unmapped = unmapped_warnings(context.resources.duckdb.database, mapping)
    client = context.resources.fortnox.get_client()
    problems, warnings, checked = run_preflight(client, deltas, mapping, mapping_problem, unmapped)
    invoices_pending = bool(deltas.get("invoice_delta") or deltas.get("credit_delta"))
    currency_checks(client, context.resources.duckdb.database, mapping, invoices_pending, problems, warnings, checked)
    calibrate = value("FORTNOX_PREFLIGHT_CALIBRATE")
    if calibrate != "off" and not problems and invoices_pending:
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
