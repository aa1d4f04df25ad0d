"""Per-entity sink logic: what to send for each delta row given the ledger, and how to find it again.

Ledger keys (entity, source_key):
- article / customer: the delta's source_key; fortnox_number = ArticleNumber / CustomerNumber (chosen by woofort)
- price: the delta's source_key; fortnox_number = "<PriceList>/<ArticleNumber>/<FromQuantity>"
- stock: the delta's source_key; fortnox_number = ArticleNumber
- invoice: the delta's source_key (the order); fortnox_number = the *current* DocumentNumber of the order
- invoice_reissue: "<invoice source_key>#<old DocumentNumber>"; fortnox_number = the credit invoice that
  voided the old document (or the old number itself when it was unbooked and cancelled instead)
- credit_invoice: the delta's source_key (refund); fortnox_number = the credit invoice's DocumentNumber, or the
  original's number for a `cancel`
- invoice_payment: the delta's source_key; fortnox_number = the payment Number
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from woofort_assets.defs.fortnox import lookups
from woofort_assets.defs.fortnox.ledger import DONE, DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.sink import Sink, TransientError, envelope_of, is_done, with_fields

PREFETCH_THRESHOLD = 50


def _unchanged(sink: Sink, entity: str, row: DeltaRow, led: LedgerRow | None) -> bool:
    """Same payload as the ledger's: nothing to send (also for an invoice cancelled since: it is recreated only
    when the order changes again)."""
    if led is not None and (led.status in DONE or led.status == "cancelled") and led.payload_hash == row.payload_hash:
        sink.outcome(entity, row.source_key, "unchanged", led.fortnox_number)
        return True
    return False


def _number(value) -> str | None:
    return lookups.number_of(value)


def _rows_loop(sink: Sink, entity: str, rows: list[DeltaRow], fn) -> None:
    for row in rows:
        try:
            fn(row)
        except TransientError as err:
            sink.transient(entity, row.source_key, err)


# ====================================================================== articles / customers
def sync_master(sink: Sink, rows: list[DeltaRow], *, entity: str, path: str, envelope: str, number_field: str,
                list_key: str) -> set[str]:
    """Customers and articles (numbers chosen by woofort). Returns the numbers that are not in Fortnox after
    this run (rejected / unknown / deferred), so dependants can wait for them."""
    client = sink.client
    ledger_rows = sink.ledger.rows(entity)
    not_ok: set[str] = set()
    first = [r for r in rows if ledger_rows.get(r.source_key) is None or ledger_rows[r.source_key].status == "failed"]
    existing: set[str] | None = None
    if not sink.dry_run and len(first) > PREFETCH_THRESHOLD:
        try:
            existing = sink.guard(entity, "*", lambda: lookups.existing_numbers(client, path, list_key,
                                                                                  number_field))
        except TransientError:
            existing = None

    def one(row: DeltaRow) -> None:
        key = row.source_key
        led = ledger_rows.get(key)
        _, inner = envelope_of(row.payload)
        number = str(inner.get(number_field) or (led.fortnox_number if led else None) or key)
        if _unchanged(sink, entity, row, led):
            return
        body = row.payload if inner.get(number_field) else with_fields(row.payload, **{number_field: number})
        in_fortnox = led is not None and led.fortnox_number is not None and (led.status in DONE or
                                                                                led.status == "pending")
        if in_fortnox:
            target = led.fortnox_number
            if sink.dry_run:
                sink.plan(entity, key, "update", "PUT", f"{path}/{target}", body, f"ledger: {led.status}")
                return
            res = sink.write(entity, row, key, number_before=target,
                             restore_status=led.status if led.status in DONE else "synced",
                             send=lambda: sink.client.put(f"{path}/{target}", body)[envelope], lookup=None,
                             payload=body)
            if res.kind == "ok":
                sink.ledger.mark_done(entity, key, target, row.payload_hash, "synced", False, row.order_id)
                sink.outcome(entity, key, "updated", target)
            else:
                not_ok.add(number)
            return
        if sink.dry_run:
            sink.plan(entity, key, "create", "POST", path, body,
                      "looked up first by number: adopted without a write if it already exists")
            return
        if existing is not None and (led is None or led.status == "failed"):
            found = number in existing
        else:
            found = sink.guard(entity, key,
                               lambda: lookups.get_or_none(client, f"{path}/{number}", envelope)) is not None
        if found:
            recovered = led is not None and led.status == "pending"
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced" if recovered else "adopted",
                                  False, row.order_id)
            sink.outcome(entity, key, "created" if recovered else "adopted", number)
            return
        res = sink.write(entity, row, key, number_before=None, restore_status="failed",
                         send=lambda: client.post(path, body)[envelope],
                         lookup=lambda: lookups.get_or_none(client, f"{path}/{number}", envelope), payload=body)
        if res.kind in ("ok", "found"):
            doc = res.response or res.found
            created = str(doc.get(number_field) or number)
            sink.ledger.mark_done(entity, key, created, row.payload_hash, "synced", False, row.order_id)
            sink.outcome(entity, key, "created", created)
        else:
            not_ok.add(number)

    def guarded(row: DeltaRow) -> None:
        try:
            one(row)
        except TransientError:
            _, inner = envelope_of(row.payload)
            not_ok.add(str(inner.get(number_field) or row.source_key))
            raise

    _rows_loop(sink, entity, rows, guarded)
    return not_ok


# ====================================================================== prices
def _fq(value) -> str:
    d = lookups.decimal2(value if value is not None else 0)
    return str(int(d)) if d == d.to_integral_value() else str(d.normalize())


def sync_prices(sink: Sink, rows: list[DeltaRow], blocked_articles: set[str]) -> None:
    entity = "price"
    client = sink.client
    ledger_rows = sink.ledger.rows(entity)

    def one(row: DeltaRow) -> None:
        key = row.source_key
        led = ledger_rows.get(key)
        if _unchanged(sink, entity, row, led):
            return
        _, inner = envelope_of(row.payload)
        article = str(inner.get("ArticleNumber") or "")
        price_list = str(inner.get("PriceList") or "A")
        fq = _fq(inner.get("FromQuantity"))
        body = with_fields(row.payload, PriceList=price_list)
        path = f"/3/prices/{price_list}/{article}/{fq}"
        number = f"{price_list}/{article}/{fq}"
        if article in blocked_articles:
            sink.outcome(entity, key, "deferred")
            sink.notes.append(f"price {key}: waits for article {article}")
            return
        if sink.dry_run:
            if is_done(led):
                sink.plan(entity, key, "update", "PUT", path, body, "ledger: price exists")
            else:
                sink.plan(entity, key, "create", "POST", "/3/prices", body,
                          "looked up first: updated with PUT (or adopted if equal) when it already exists")
            return
        exists = True if is_done(led) else sink.guard(entity, key,
                                                      lambda: lookups.get_or_none(client, path, "Price"))
        if exists is None:
            res = sink.write(entity, row, key, number_before=None, restore_status="failed",
                             send=lambda: client.post("/3/prices", body)["Price"],
                             lookup=lambda: lookups.get_or_none(client, path, "Price"), payload=body)
            kind = "created"
        else:
            if exists is not True and lookups.decimal2(exists.get("Price")) == lookups.decimal2(inner.get("Price")):
                recovered = led is not None and led.status == "pending"
                sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced" if recovered else "adopted",
                                      False, None)
                sink.outcome(entity, key, "created" if recovered else "adopted", number)
                return
            res = sink.write(entity, row, key, number_before=number,
                             restore_status=led.status if is_done(led) else "failed",
                             send=lambda: client.put(path, body)["Price"], lookup=None, payload=body)
            kind = "updated"
        if res.kind in ("ok", "found"):
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced", False, None)
            sink.outcome(entity, key, kind, number)

    _rows_loop(sink, entity, rows, one)


# ====================================================================== stock
def sync_stock(sink: Sink, rows: list[DeltaRow]) -> None:
    """Absolute QuantityInStock: a PUT is idempotent, so an unknown outcome is simply resent once."""
    entity = "stock"
    client = sink.client
    ledger_rows = sink.ledger.rows(entity)
    articles = sink.ledger.rows("article")

    def one(row: DeltaRow) -> None:
        key = row.source_key
        led = ledger_rows.get(key)
        if _unchanged(sink, entity, row, led):
            return
        _, inner = envelope_of(row.payload)
        number = inner.get("ArticleNumber")
        if not number and row.ref_source_key:
            ref = articles.get(row.ref_source_key)
            number = ref.fortnox_number if ref else None
        number = str(number or key)
        body = {"Article": {"QuantityInStock": inner.get("QuantityInStock")}}
        path = f"/3/articles/{number}"
        if sink.dry_run:
            sink.plan(entity, key, "set_stock", "PUT", path, body)
            return
        res = sink.write(entity, row, key, number_before=number,
                         restore_status=led.status if is_done(led) else "failed",
                         send=lambda: client.put(path, body)["Article"], lookup=None, payload=body)
        if res.kind == "ok":
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced", False, None)
            sink.outcome(entity, key, "updated", number)

    _rows_loop(sink, entity, rows, one)


# ====================================================================== bookkeeping
def bookkeep(sink: Sink, entity: str, key: str, path: str, get_path: str, envelope: str,
             record: bool = True) -> bool:
    """PUT <path>/bookkeep for a document already recorded as synced; on an unknown outcome read it back and
    resend once. A rejection is dead-lettered (the document itself stays synced, unbooked: the sweep at the
    start of the next run retries). Returns True when booked."""
    FortnoxError, FortnoxOutcomeUnknown, FortnoxAuthError = _errs()
    for attempt in range(2):
        try:
            sink.client.put(path)
            if record:
                sink.ledger.set_booked(entity, key, True)
            return True
        except FortnoxAuthError as err:
            from woofort_assets.defs.fortnox.sink import auth_failure

            raise auth_failure(err) from err
        except FortnoxOutcomeUnknown:
            doc = sink.guard(entity, key, lambda: sink.client.get(get_path)[envelope])
            if lookups.is_true(doc.get("Booked")):
                if record:
                    sink.ledger.set_booked(entity, key, True)
                return True
        except FortnoxError as err:
            from woofort_assets.defs.fortnox.sink import is_rejection

            if is_rejection(err):
                # already booked (an earlier answer was lost, or the ledger mark was): read it back first
                doc = sink.guard(entity, key, lambda: sink.client.get(get_path)[envelope])
                if lookups.is_true(doc.get("Booked")):
                    if record:
                        sink.ledger.set_booked(entity, key, True)
                    return True
                sink.ledger.dead_letter(entity, key, getattr(err, "code", None),
                                        f"bookkeep failed: {getattr(err, 'message', None) or err}",
                                        getattr(err, "http_status", None), None)
                sink.rejections.append((entity, key, getattr(err, "code", None), f"bookkeep: {err}"))
                sink.counts["bookkeep_failed"] += 1
                return False
            raise TransientError(str(err)) from err
    sink.notes.append(f"{entity} {key}: bookkeep outcome unknown; retried next run")
    return False


def _errs():
    from woofort_assets.defs.fortnox.sink import fortnox_errors

    return fortnox_errors()


def bookkeep_invoice(sink: Sink, entity: str, key: str, number: str, record: bool = True) -> bool:
    return bookkeep(sink, entity, key, f"/3/invoices/{number}/bookkeep", f"/3/invoices/{number}", "Invoice",
                    record)


def bookkeep_payment(sink: Sink, key: str, number: str) -> bool:
    return bookkeep(sink, "invoice_payment", key, f"/3/invoicepayments/{number}/bookkeep",
                    f"/3/invoicepayments/{number}", "InvoicePayment")


# ====================================================================== invoices
def _credit_number(doc: dict) -> str | None:
    """The answer of PUT /invoices/{n}/credit: either the credit invoice or the original pointing at it."""
    if lookups.is_true(doc.get("Credit")):
        return str(doc.get("DocumentNumber"))
    return _number(doc.get("CreditInvoiceReference"))


def _order_ref(row: DeltaRow) -> str:
    _, inner = envelope_of(row.payload)
    return str(inner.get("ExternalInvoiceReference1") or (row.order_id if row.order_id is not None else
                                                          row.source_key)).strip()


def _min_date(rows: list[DeltaRow], field: str) -> str | None:
    dates = [str(envelope_of(r.payload)[1].get(field) or "")[:10] for r in rows]
    dates = [d for d in dates if len(d) == 10]
    return min(dates) if dates else None


def sync_invoices(sink: Sink, rows: list[DeltaRow]) -> None:
    entity = "invoice"
    client = sink.client
    inv = sink.ledger.rows(entity)
    reissues = sink.ledger.rows("invoice_reissue")
    credits = sink.ledger.rows("credit_invoice")
    superseded: dict[str, set[str]] = {}
    for rkey in reissues:
        base, _, old = rkey.rpartition("#")
        superseded.setdefault(base, set()).add(old)
    claimed = {r.fortnox_number for r in inv.values() if r.fortnox_number}
    claimed |= {r.fortnox_number for r in reissues.values() if r.fortnox_number}
    claimed |= {old for olds in superseded.values() for old in olds}

    # 1. bookkeep sweep: invoices woofort created whose bookkeep did not happen (failed or interrupted)
    if not sink.dry_run and sink.auto_book:
        voided = {r.fortnox_number for r in credits.values() if r.fortnox_number}
        voided |= claimed - {r.fortnox_number for r in inv.values() if r.fortnox_number}
        for key, number in sink.ledger.unbooked(entity):
            if number in voided:
                continue
            try:
                if bookkeep_invoice(sink, entity, key, number):
                    sink.counts["booked_by_sweep"] += 1
            except TransientError as err:
                sink.transient(entity, key, err)

    # 2. first-run adoption index (one listing instead of one search per order)
    index = None
    first = [r for r in rows if inv.get(r.source_key) is None or inv[r.source_key].status == "failed"]
    if not sink.dry_run and len(first) > PREFETCH_THRESHOLD:
        try:
            index = sink.guard(entity, "*", lambda: lookups.InvoiceIndex(client, _min_date(first, "InvoiceDate")))
        except TransientError:
            index = None

    def after_create(row: DeltaRow, doc: dict) -> str:
        key = row.source_key
        number = str(doc["DocumentNumber"])
        claimed.add(number)
        if book_this(sink, row) and not lookups.is_true(doc.get("Booked")):
            bookkeep_invoice(sink, entity, key, number)
        return number

    def lookup_for(row: DeltaRow, led: LedgerRow | None) -> dict | None:
        key = row.source_key
        ref = _order_ref(row)
        exclude = claimed | superseded.get(key, set())
        if led is not None and led.status == "pending-reissue":
            return None           # the old document was just voided: create anew
        if led is not None and led.status == "pending":
            return sink.guard(entity, key, lambda: lookups.find_invoice(client, ref, exclude=exclude))
        if index is not None:
            return sink.guard(entity, key, lambda: lookups.pick_invoice(client, index.candidates(ref),
                                                                        exclude=exclude, credit=False))
        return sink.guard(entity, key, lambda: lookups.find_invoice(client, ref, exclude=exclude))

    def record_found(row: DeltaRow, led: LedgerRow | None, found: dict) -> None:
        key = row.source_key
        number = str(found["DocumentNumber"])
        recovered = led is not None and led.status == "pending"
        sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced" if recovered else "adopted",
                              lookups.is_true(found.get("Booked")), row.order_id)
        claimed.add(number)
        sink.outcome(entity, key, "created" if recovered else "adopted", number)
        if recovered:
            after_create(row, found)

    def create(row: DeltaRow, led: LedgerRow | None, premarked: bool = False) -> None:
        key = row.source_key
        ref = _order_ref(row)
        exclude = claimed | superseded.get(key, set())
        if sink.dry_run:
            sink.plan(entity, key, "create", "POST", "/3/invoices", row.payload,
                      f"looked up first by ExternalInvoiceReference1 = {ref} (adopted if found)")
            if book_this(sink, row):
                sink.plan(entity, key, "bookkeep", "PUT", "/3/invoices/{DocumentNumber}/bookkeep", None)
            return
        if not premarked:
            found = lookup_for(row, led)
            if found is not None:
                record_found(row, led, found)
                return
        res = sink.write(entity, row, key, number_before=None, restore_status="failed",
                         send=lambda: client.post("/3/invoices", row.payload)["Invoice"],
                         lookup=lambda: lookups.find_invoice(client, ref, exclude=exclude), payload=row.payload,
                         premarked=premarked)
        if res.kind in ("ok", "found"):
            doc = res.response or res.found
            number = str(doc["DocumentNumber"])
            claimed.add(number)
            booked = lookups.is_true(doc.get("Booked"))
            # Bookkeep before recording: one ledger write instead of two. If the run dies in between, the row
            # is still `pending` and the next run finds the document by its reference (no duplicate).
            try:
                if book_this(sink, row) and not booked:
                    booked = bookkeep_invoice(sink, entity, key, number, record=False)
            finally:
                sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced", booked, row.order_id)
            sink.outcome(entity, key, "created", number)

    def reissue(row: DeltaRow, led: LedgerRow) -> None:
        key = row.source_key
        old = led.fortnox_number
        rkey = f"{key}#{old}"
        rled = reissues.get(rkey)
        action = "credit" if led.booked else "cancel"
        if sink.dry_run:
            if not is_done(rled):
                sink.plan("invoice_reissue", rkey, action, "PUT", f"/3/invoices/{old}/{action}", None,
                          f"reissue of order {key}: void document {old}")
            sink.plan(entity, key, "create", "POST", "/3/invoices", row.payload, f"reissue of document {old}")
            return
        if not is_done(rled):
            def lookup_void():
                doc = client.get(f"/3/invoices/{old}")["Invoice"]
                if action == "cancel":
                    return doc if lookups.is_true(doc.get("Cancelled")) else None
                credit_no = _number(doc.get("CreditInvoiceReference"))
                return doc if credit_no and credit_no not in claimed else None

            if rled is not None and rled.status == "pending":
                found = sink.guard("invoice_reissue", rkey, lookup_void)
                res = None
            else:
                found = None
            if found is None:
                res = sink.write("invoice_reissue", row, rkey, number_before=None, restore_status="failed",
                                 send=lambda: client.put(f"/3/invoices/{old}/{action}")["Invoice"],
                                 lookup=lookup_void, payload={"reissue_of": old, "action": action})
                if res.kind not in ("ok", "found"):
                    return
                found = res.response or res.found
            void_no = _credit_number(found) if action == "credit" else old
            void_no = void_no or old
            sink.ledger.mark_done("invoice_reissue", rkey, void_no, row.payload_hash, "synced", False,
                                  row.order_id)
            claimed.add(void_no)
            if action == "credit" and book_this(sink, row) and void_no != old:
                bookkeep_invoice(sink, "invoice_reissue", rkey, void_no)
        superseded.setdefault(key, set()).add(old)
        claimed.add(old)
        create(row, LedgerRow(key, "pending-reissue", None, None, False, led.attempts))

    def one(row: DeltaRow) -> None:
        key = row.source_key
        led = inv.get(key)
        if _unchanged(sink, entity, row, led):
            return
        has_number = led is not None and led.fortnox_number is not None and (led.status in DONE or
                                                                               led.status == "pending")
        if not has_number:
            create(row, led)
            return
        if row.action == "reissue" or led.booked:
            reissue(row, led)
            return
        number = led.fortnox_number
        if sink.dry_run:
            sink.plan(entity, key, "update", "PUT", f"/3/invoices/{number}", row.payload, "unbooked invoice")
            return
        res = sink.write(entity, row, key, number_before=number,
                         restore_status=led.status if led.status in DONE else "synced",
                         send=lambda: client.put(f"/3/invoices/{number}", row.payload)["Invoice"], lookup=None,
                         payload=row.payload)
        if res.kind == "ok":
            booked = lookups.is_true(res.response.get("Booked"))
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced", booked, row.order_id)
            sink.outcome(entity, key, "updated", number)
            if book_this(sink, row) and not booked:
                bookkeep_invoice(sink, entity, key, number)

    def chunk_of(chunk: list[DeltaRow]) -> None:
        """New orders of a chunk are looked up (adoption) and then marked `pending` in one commit before
        their creates are sent one by one: one DuckDB commit per chunk instead of one per invoice."""
        ready: dict[str, str] = {}
        if not sink.dry_run:
            for row in chunk:
                led = inv.get(row.source_key)
                if led is not None and led.status != "failed":
                    continue
                try:
                    found = lookup_for(row, led)
                except TransientError as err:
                    sink.transient(entity, row.source_key, err)
                    ready[row.source_key] = "done"
                    continue
                if found is not None:
                    record_found(row, led, found)
                    ready[row.source_key] = "done"
                else:
                    ready[row.source_key] = "create"
            sink.ledger.mark_pending_many([(entity, r.source_key, None, r.order_id) for r in chunk
                                           if ready.get(r.source_key) == "create"])
        for row in chunk:
            state = ready.get(row.source_key)
            try:
                if state == "create":
                    create(row, inv.get(row.source_key), premarked=True)
                elif state is None:
                    one(row)
            except TransientError as err:
                sink.transient(entity, row.source_key, err)

    for start in range(0, len(rows), CHUNK):
        chunk_of(rows[start:start + CHUNK])


CHUNK = 25


def book_this(sink: Sink, row: DeltaRow) -> bool:
    """The delta's own `bookkeep` column when it has one (mapping invoicing.bookkeep, per row), else the
    mapping flag read by the asset (default true)."""
    value = row.extra.get("bookkeep")
    return sink.auto_book if value is None else bool(value)


# ====================================================================== credit invoices
def _resolve(sink: Sink, cache: dict[str, dict[str, LedgerRow]], row: DeltaRow,
             default_entity: str = "invoice") -> LedgerRow | None:
    entity = row.ref_entity or default_entity
    if entity not in cache:
        cache[entity] = sink.ledger.rows(entity)
    ref = cache[entity].get(row.ref_source_key or "")
    if ref is None or not ref.fortnox_number or ref.status not in DONE:
        return None
    return ref


def sync_credits(sink: Sink, rows: list[DeltaRow]) -> None:
    entity = "credit_invoice"
    client = sink.client
    creds = sink.ledger.rows(entity)
    cache: dict[str, dict[str, LedgerRow]] = {}
    claimed = {r.fortnox_number for r in creds.values() if r.fortnox_number}
    claimed |= {r.fortnox_number for r in sink.ledger.rows("invoice_reissue").values() if r.fortnox_number}

    def mark_cancelled(row: DeltaRow) -> None:
        """The original invoice's ledger row becomes `cancelled` (the delta then creates a new invoice only if
        the order changes again)."""
        ref_entity = row.ref_entity or "invoice"
        sink.ledger.set_status(ref_entity, row.ref_source_key, "cancelled")
        ref = cache.get(ref_entity, {}).get(row.ref_source_key)
        if ref is not None:
            ref.status = "cancelled"

    def one(row: DeltaRow) -> None:
        key = row.source_key
        led = creds.get(key)
        if _unchanged(sink, entity, row, led):
            return
        original = _resolve(sink, cache, row)
        name, inner = envelope_of(row.payload)
        if is_done(led) and row.action == "credit" and led.fortnox_number and inner.get("InvoiceRows"):
            number = led.fortnox_number       # a changed partial credit already in Fortnox: update it
            body = row.payload if original is None else with_fields(row.payload,
                                                                    CreditInvoiceReference=original.fortnox_number)
            if sink.dry_run:
                sink.plan(entity, key, "update", "PUT", f"/3/invoices/{number}", body)
                return
            res = sink.write(entity, row, key, number_before=number, restore_status=led.status,
                             send=lambda: client.put(f"/3/invoices/{number}", body)["Invoice"], lookup=None,
                             payload=body)
            if res.kind == "ok":
                sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced",
                                      lookups.is_true(res.response.get("Booked")), row.order_id)
                sink.outcome(entity, key, "updated", number)
            return
        if is_done(led):
            # cancel / full credit already done: nothing more can be sent for it
            sink.ledger.mark_done(entity, key, led.fortnox_number, row.payload_hash, led.status, led.booked,
                                  row.order_id)
            sink.outcome(entity, key, "unchanged", led.fortnox_number)
            return
        if original is None:
            if sink.dry_run:
                sink.plan(entity, key, row.action, "PUT" if row.action == "cancel" else None, None, row.payload,
                          f"waits for {row.ref_entity or 'invoice'} {row.ref_source_key} to be in the ledger")
                return
            sink.outcome(entity, key, "deferred")
            sink.notes.append(f"credit {key}: waits for {row.ref_entity or 'invoice'} {row.ref_source_key}")
            return
        n = original.fortnox_number
        pending = led is not None and led.status == "pending"
        look_first = pending or original.status == "adopted"
        ref1 = str(inner.get("ExternalInvoiceReference1") or (row.order_id if row.order_id is not None
                                                               else row.ref_source_key)).strip()

        if row.action == "cancel":
            method, path, body, label = "PUT", f"/3/invoices/{n}/cancel", None, "cancel"

            def lookup():
                doc = client.get(f"/3/invoices/{n}")["Invoice"]
                return doc if lookups.is_true(doc.get("Cancelled")) else None

            def number_from(doc):
                return n
        elif not inner.get("InvoiceRows") or key.startswith("order-"):
            # a whole-invoice credit (no rows, or the delta's whole-order reversal 'order-<id>'): Fortnox's own
            # mirror of the original, PUT /credit
            method, path, body, label = "PUT", f"/3/invoices/{n}/credit", None, "credit (full)"

            def lookup():
                doc = client.get(f"/3/invoices/{n}")["Invoice"]
                credit_no = _number(doc.get("CreditInvoiceReference"))
                return doc if credit_no and credit_no not in claimed else None

            number_from = _credit_number
        else:
            body = with_fields(row.payload, CreditInvoiceReference=n)
            method, path, label = "POST", "/3/invoices", "credit (partial)"
            ext2 = inner.get("ExternalInvoiceReference2")
            ext2 = str(ext2).strip() if ext2 not in (None, "") else None

            def lookup():
                return lookups.find_credit_invoice(client, ref1, n, exclude=claimed, ext_ref2=ext2)

            def number_from(doc):
                return str(doc["DocumentNumber"])

        if sink.dry_run:
            sink.plan(entity, key, row.action, method, path, body, f"{label} of invoice {n}")
            return
        found = sink.guard(entity, key, lookup) if look_first else None
        if found is not None:
            number = number_from(found)
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced" if pending else "adopted",
                                  lookups.is_true(found.get("Booked")) if row.action != "cancel" else False,
                                  row.order_id)
            claimed.add(number)
            sink.outcome(entity, key, "created" if pending else "adopted", number)
            if row.action == "cancel":
                mark_cancelled(row)
            return
        if row.action == "credit" and path.endswith("/credit") and not original.booked:
            # Fortnox credits booked invoices only ([WFH]): book the original first.
            if bookkeep_invoice(sink, row.ref_entity or "invoice", row.ref_source_key, n):
                original.booked = True
        if method == "POST":
            def send():
                return client.post(path, body)["Invoice"]
        else:
            def send():
                return client.put(path)["Invoice"]
        res = sink.write(entity, row, key, number_before=None, restore_status="failed", send=send, lookup=lookup,
                         payload=body or {"action": row.action, "invoice": n})
        if res.kind not in ("ok", "found"):
            return
        doc = res.response or res.found
        number = number_from(doc) or n
        booked = False
        if row.action != "cancel":
            booked = lookups.is_true(doc.get("Booked")) if number == str(doc.get("DocumentNumber")) else False
        sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced", booked, row.order_id)
        claimed.add(number)
        sink.outcome(entity, key, "created", number)
        if row.action == "cancel":
            mark_cancelled(row)
        elif book_this(sink, row) and not booked:
            bookkeep_invoice(sink, entity, key, number)

    _rows_loop(sink, entity, rows, one)


# ====================================================================== payments
def sync_payments(sink: Sink, rows: list[DeltaRow]) -> None:
    entity = "invoice_payment"
    client = sink.client
    pays = sink.ledger.rows(entity)
    cache: dict[str, dict[str, LedgerRow]] = {}
    claimed = {r.fortnox_number for r in pays.values() if r.fortnox_number}

    if not sink.dry_run:
        for key, number in sink.ledger.unbooked(entity):
            try:
                if bookkeep_payment(sink, key, number):
                    sink.counts["booked_by_sweep"] += 1
            except TransientError as err:
                sink.transient(entity, key, err)

    def one(row: DeltaRow) -> None:
        key = row.source_key
        led = pays.get(key)
        if _unchanged(sink, entity, row, led):
            return
        _, inner = envelope_of(row.payload)
        invoice = _resolve(sink, cache, row)
        if is_done(led):
            number = led.fortnox_number
            body = row.payload if invoice is None else with_fields(row.payload,
                                                                   InvoiceNumber=_as_int(invoice.fortnox_number))
            if sink.dry_run:
                sink.plan(entity, key, "update", "PUT", f"/3/invoicepayments/{number}", body)
                return
            res = sink.write(entity, row, key, number_before=number, restore_status=led.status,
                             send=lambda: client.put(f"/3/invoicepayments/{number}", body)["InvoicePayment"],
                             lookup=None, payload=body)
            if res.kind == "ok":
                sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced",
                                      lookups.is_true(res.response.get("Booked")), row.order_id)
                sink.outcome(entity, key, "updated", number)
            return
        if invoice is None:
            if sink.dry_run:
                sink.plan(entity, key, "create", "POST", "/3/invoicepayments", row.payload,
                          f"InvoiceNumber resolved at send time from {row.ref_entity or 'invoice'} "
                          f"{row.ref_source_key} (not in the ledger yet)")
                return
            sink.outcome(entity, key, "deferred")
            sink.notes.append(f"payment {key}: waits for {row.ref_entity or 'invoice'} {row.ref_source_key}")
            return
        n = invoice.fortnox_number
        body = with_fields(row.payload, InvoiceNumber=_as_int(n))
        if inner.get("Amount") is None and inner.get("AmountCurrency") is not None:
            if sink.dry_run:
                note = "Amount (SEK) = AmountCurrency x the Fortnox invoice's CurrencyRate, read at send time"
                sink.plan(entity, key, "create", "POST", "/3/invoicepayments", body, note)
                return
            doc = sink.guard(entity, key, lambda: client.get(f"/3/{_doc_path(row)}/{n}")["Invoice"])
            rate = Decimal(str(doc.get("CurrencyRate") or 1))
            unit = Decimal(str(doc.get("CurrencyUnit") or 1)) or Decimal(1)
            amount = (Decimal(str(inner["AmountCurrency"])) * rate / unit).quantize(_CENT, ROUND_HALF_UP)
            body = with_fields(body, Amount=float(amount), CurrencyRate=float(rate))
            inner = envelope_of(body)[1]
        if sink.dry_run:
            sink.plan(entity, key, "create", "POST", "/3/invoicepayments", body, f"payment of invoice {n}")
            sink.plan(entity, key, "bookkeep", "PUT", "/3/invoicepayments/{Number}/bookkeep", None)
            return
        amount, date = inner.get("Amount"), inner.get("PaymentDate")

        def lookup():
            return lookups.find_payment(client, n, amount, str(date) if date else None, exclude=claimed)

        pending = led is not None and led.status == "pending"
        found = sink.guard(entity, key, lookup) if (pending or invoice.status == "adopted") else None
        if found is not None:
            number = str(found["Number"])
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced" if pending else "adopted",
                                  lookups.is_true(found.get("Booked")), row.order_id)
            claimed.add(number)
            sink.outcome(entity, key, "created" if pending else "adopted", number)
            if pending and not lookups.is_true(found.get("Booked")):
                bookkeep_payment(sink, key, number)
            return
        res = sink.write(entity, row, key, number_before=None, restore_status="failed",
                         send=lambda: client.post("/3/invoicepayments", body)["InvoicePayment"], lookup=lookup,
                         payload=body)
        if res.kind in ("ok", "found"):
            doc = res.response or res.found
            number = str(doc["Number"])
            booked = lookups.is_true(doc.get("Booked"))
            sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced", booked, row.order_id)
            claimed.add(number)
            sink.outcome(entity, key, "created", number)
            if not booked:
                bookkeep_payment(sink, key, number)

    _rows_loop(sink, entity, rows, one)


_CENT = lookups.decimal2("0.01")


def _doc_path(row: DeltaRow) -> str:
    return "invoices"      # invoices and credit invoices are both /3/invoices


def _as_int(number: str):
    return int(number) if str(number).isdigit() else number
