"""fortnox/mirror: the Fortnox side of the books in DuckDB (ledger.fortnox_documents), at minimal API cost.

The sink already stores every document Fortnox answered with (ledger.store_document). The mirror completes that:
1. one listing of /3/invoices (500 per page): on the first run from WOOFORT_START_DATE, afterwards only what
   Fortnox changed since the previous mirror run (`lastmodified`, one day of margin for Fortnox's local time);
   an item that belongs to the shop (its ExternalInvoiceReference1 is a staged order, or its number is in the
   ledger) and is not stored, or whose Total / Cancelled / InvoiceDate / Currency differ from the stored
   document, is read once (GET /3/invoices/{n}); one whose Balance alone changed (a payment, an offset) takes the
   list item's Balance without a read. This finds duplicates, manual edits, cancellations and credits made in
   Fortnox, and invoices woofort never saw answered;
2. every invoice, credit invoice and payment number in ledger.documents that is not stored is read once (full
   credits are answered with the original, so the credit invoice itself is read here);
3. one listing of /3/invoicepayments (same lastmodified rule): payments on the shop's invoices that are not
   stored or whose Amount / InvoiceNumber / PaymentDate differ are read once.
A run after a normal sync costs ceil(changed invoices / 500) + ceil(changed payments / 500) calls plus one GET
per full credit."""


from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import dagster as dg

from woofort_assets.defs.fortnox.engine import queries
from woofort_assets.defs.fortnox.engine.documents import as_json, slim
from woofort_assets.defs.fortnox.engine.protocol import auth_failure
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import shop_key, start_date
from woofort_assets.resources.fortnox import FortnoxAuthError
from woofort_assets.resources.fortnox.endpoints import INVOICE_PAYMENTS, INVOICES

MIRROR = dg.AssetKey(["fortnox", "mirror"])
SINKS = [dg.AssetKey(["fortnox", n]) for n in ("invoices", "credit_invoices", "invoice_payments")]
LIST_MARGIN = timedelta(days=1)


class MirrorConfig(dg.Config):
    """`dry_run` (set by `woofort sync --dry-run` like the sinks' flag): do not call Fortnox; reconcile what is
    stored."""

    dry_run: bool = False


def _dec(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _flag(value) -> bool:
    return str(value).lower() == "true"


def _invoice_changed(stored: dict, item: dict) -> bool:
    """Whether the document must be read again; a new Balance alone is taken from the list item (_rebalanced)."""
    return (_dec(stored.get("Total")) != _dec(item.get("Total"))
            or _flag(stored.get("Cancelled")) != _flag(item.get("Cancelled"))
            or str(stored.get("InvoiceDate") or "") != str(item.get("InvoiceDate") or "")
            or str(stored.get("Currency") or "") != str(item.get("Currency") or ""))


def _payment_changed(stored: dict, item: dict) -> bool:
    return (_dec(stored.get("Amount")) != _dec(item.get("Amount"))
            or str(stored.get("InvoiceNumber")) != str(item.get("InvoiceNumber"))
            or str(stored.get("PaymentDate") or "")[:10] != str(item.get("PaymentDate") or "")[:10])


def _load_state(database: str, shop: str) -> dict:
    with connect(database) as con:
        stored = queries.stored_documents(con, shop)
        owned = queries.owned_numbers(con, shop)
        orders = {str(r[0]) for r in con.execute("SELECT order_id FROM staging.orders WHERE shop = ?",
                                                  [shop]).fetchall()} if _has_table(con, "staging", "orders") else set()
        last = queries.last_mirror_run(con, shop)
    return {"stored": stored, "invoices": owned["invoice"], "payments": owned["invoice_payment"], "orders": orders,
            "last": last}


def _has_table(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                            "AND table_name = ?", [schema, table]).fetchone()[0])


def run_mirror(client, database: str, shop: str, log=None) -> dict:
    """One mirror pass (see the module docstring). Returns counters for the metadata."""
    started = datetime.now(UTC)
    st = _load_state(database, shop)
    stored, calls = st["stored"], 0
    since = (st["last"] - LIST_MARGIN) if st["last"] is not None else None
    params = {"limit": 500}
    if since is not None:
        params["lastmodified"] = since.strftime("%Y-%m-%d %H:%M")
    inv_params = dict(params) if since is not None else {**params, "fromdate": start_date()}

    to_get_inv: set[str] = set()
    rebalanced: list[tuple[str, str, dict]] = []
    listed = 0
    pages = 0
    ours = set(st["invoices"])
    for item in INVOICES.iterate(client, inv_params):
        listed += 1
        number = str(item.get("DocumentNumber"))
        ref = str(item.get("ExternalInvoiceReference1") or "").strip()
        if number not in st["invoices"] and ref not in st["orders"]:
            continue
        ours.add(number)
        doc = stored.get(("invoice", number))
        if doc is None or _invoice_changed(doc, item):
            to_get_inv.add(number)
        elif _dec(doc.get("Balance")) != _dec(item.get("Balance")):    # paid or offset since: no need to read it
            rebalanced.append(("invoice", number, dict(doc, Balance=item.get("Balance"))))
    pages += max(1, -(-listed // 500))
    to_get_inv |= {n for n in st["invoices"] if ("invoice", n) not in stored}

    fetched: list[tuple[str, str, dict]] = rebalanced
    for number in sorted(to_get_inv, key=lambda n: (len(n), n)):
        doc = INVOICES.get(client, number)
        reduced = slim("invoice", doc)
        if reduced:
            fetched.append(("invoice", *reduced))
            ours.add(reduced[0])

    our_invoices = ours | {n for (k, n) in stored if k == "invoice"}
    to_get_pay: set[str] = set()
    listed_pay = 0
    for item in INVOICE_PAYMENTS.iterate(client, dict(params)):
        listed_pay += 1
        number = str(item.get("Number"))
        if number not in st["payments"] and str(item.get("InvoiceNumber")) not in our_invoices:
            continue
        doc = stored.get(("invoice_payment", number))
        if doc is None or _payment_changed(doc, item):
            to_get_pay.add(number)
    pages += max(1, -(-listed_pay // 500))
    to_get_pay |= {n for n in st["payments"] if ("invoice_payment", n) not in stored}
    for number in sorted(to_get_pay, key=lambda n: (len(n), n)):
        doc = INVOICE_PAYMENTS.get(client, number)
        reduced = slim("invoice_payment", doc)
        if reduced:
            fetched.append(("invoice_payment", *reduced))
    calls = pages + len(to_get_inv) + len(to_get_pay)

    with connect(database) as con:
        total = queries.record_mirror_run(con, shop, [(kind, number, as_json(doc)) for kind, number, doc in fetched],
                                          (started, listed + listed_pay, len(fetched), calls))
    out = {"listed_invoices": listed, "listed_payments": listed_pay, "fetched_invoices": len(to_get_inv),
           "fetched_payments": len(to_get_pay), "api_calls": calls, "since": params.get("lastmodified") or
           f"fromdate {start_date()}", "stored_invoices": total.get("invoice", 0),
           "stored_payments": total.get("invoice_payment", 0)}
    if log is not None:
        log.info(f"fortnox mirror: {out}")
    return out


@dg.asset(key=MIRROR, deps=SINKS, group_name="reconciliation", kinds={"fortnox", "duckdb"}, pool="fortnox",
          required_resource_keys={"duckdb", "fortnox"},
          description="The Fortnox side of the books: the invoices, credit invoices and payments woofort owns as "
                      "Fortnox holds them (ledger.fortnox_documents). Mostly the sink's own answers; one listing "
                      "per 500 changed documents finds what changed in Fortnox since the last run.")
def fortnox_mirror(context: dg.AssetExecutionContext, config: MirrorConfig) -> dg.MaterializeResult:
    database = context.resources.duckdb.database
    shop = shop_key()
    if config.dry_run:
        return dg.MaterializeResult(metadata={"dry_run": True, "api_calls": 0})
    try:
        out = run_mirror(context.resources.fortnox.get_client(), database, shop, context.log)
    except FortnoxAuthError as err:
        raise auth_failure(err) from err
    return dg.MaterializeResult(metadata={k: (dg.MetadataValue.int(v) if isinstance(v, int)
                                              else dg.MetadataValue.text(str(v))) for k, v in out.items()})
