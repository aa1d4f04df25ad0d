"""The exactly-once rule, written once: a document kind declares a `Write` for a delta row, and `send` carries it
out — dry-run plan, look up first (a `pending` row, whose last outcome was unknown; or adoption of what exists),
mark pending, write, look up by reference after an unknown outcome, bookkeep what woofort created, record the
answer in the ledger. A kind never talks to the ledger's write protocol itself."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from woofort_assets.defs.fortnox.engine.ledger import BOOKKEEP, DONE, DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.engine.lookups import is_true
from woofort_assets.defs.fortnox.engine.protocol import Sink, TransientError, auth_failure, is_rejection
from woofort_assets.defs.fortnox.engine.texts import fit
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxError, FortnoxOutcomeUnknown
from woofort_assets.resources.fortnox.endpoints import Endpoint


def booked_flag(doc: dict) -> bool:
    return is_true(doc.get("Booked"))


@dataclass
class Write:
    """One call to Fortnox for one delta row, as its document kind declares it."""

    action: str                                  # create | update | credit | cancel | set_stock | email
    method: str                                  # POST | PUT | GET (an action that acts: client.act)
    path: str
    body: dict | None                            # what is sent (dry run and dead letter show it)
    endpoint: Endpoint                           # the resource answered (its envelope holds the document)
    number: Callable[[dict], str] | None = None  # the ledger's number from the answer (default: its number field)
    number_before: str | None = None             # the document's number when it exists already (updates, actions)
    restore_status: str = "failed"               # the ledger status when Fortnox refused it (failed: not created)
    lookup: Callable[[], dict | None] | None = None   # the document, if this write landed
    adopt: Callable[[], dict | None] | None = None    # the document, if it exists before woofort ever sent it
    booked: Callable[[dict], bool] = booked_flag
    book: bool = False                           # bookkeep what woofort created, before recording it
    note: str | None = None                      # dry run: why
    record_payload: dict | None = None           # dead letter: what stands for a body-less action
    entity: str | None = None                    # another ledger entity than the kind's (an invoice's void)
    key: str | None = None
    premarked: bool = False                      # already committed `pending` with its chunk
    prepare: Callable[[dict], dict] | None = None     # finishes what woofort created, before it is booked
    refusal: Callable[[], str | None] | None = None   # why Fortnox cannot take it, known before anything is sent
    before_sending: Callable[[], None] | None = None  # what Fortnox needs first (a credit's original booked)
    upload: tuple[str, bytes] | None = None      # a file sent instead of a body (POST /3/inbox): name, content


def send(sink: Sink, kind_entity: str, row: DeltaRow, led: LedgerRow | None, w: Write) -> str | None:
    """Carries out `w` for `row` (see the module docstring). Returns the document's number once Fortnox and the
    ledger hold it; None when planned (dry run), rejected or left pending.

    `w.refusal` is asked before anything is sent, and not for a `pending` row: what was sent may have landed, and
    its look-up decides. `w.before_sending` runs only for a write that neither waits nor is refused."""
    entity, key = w.entity or kind_entity, w.key or row.source_key
    w = replace(w, body=fit(w.endpoint, w.body))   # texts Fortnox accepts (texts.py); the delta keeps the original
    sent_hash = rejection_hash(row, w)
    recovering = led is not None and led.status == "pending"
    if waits(sink, entity, key, sent_hash, w):
        return None
    if w.refusal is not None and not sink.dry_run and not recovering:
        why = sink.guard(entity, key, w.refusal)
        if why:
            sink.reject(entity, key, Refusal(why), w.body if w.body is not None else w.record_payload, sent_hash)
            return None
    if sink.dry_run:
        sink.plan(entity, key, w.action, w.method, w.path, w.body, w.note)
        if w.book and w.action == "create":
            placeholder = "{" + w.endpoint.number_field + "}"
            sink.plan(entity, key, "bookkeep", "PUT", w.endpoint.action_path(placeholder, "bookkeep"), None)
        return None
    if w.before_sending is not None:
        w.before_sending()
    first = w.lookup if recovering else w.adopt
    if first is not None:
        found = sink.guard(entity, key, first)
        if found is not None:
            return _record(sink, entity, key, row, w, found, recovered=recovering,
                           outcome="created" if recovering else "adopted")
    client = sink.client
    if w.upload is not None:
        def call() -> dict:
            return w.endpoint.unwrap(client.upload(w.path, *w.upload))
    elif w.method == "POST":
        def call() -> dict:
            return w.endpoint.unwrap(client.post(w.path, w.body))
    elif w.method == "GET":         # an action Fortnox offers as a GET (an invoice's e-mail): a write all the same
        def call() -> dict:
            return w.endpoint.unwrap(client.act(w.path))
    else:
        def call() -> dict:
            return w.endpoint.unwrap(client.put(w.path, w.body))
    res = sink.write(entity, key, order_id=row.order_id, number_before=w.number_before,
                     restore_status=w.restore_status, send=call, lookup=w.lookup,
                     payload=w.body if w.body is not None else w.record_payload, premarked=w.premarked,
                     payload_hash=sent_hash)
    if res.kind not in ("ok", "found"):
        return None
    return _record(sink, entity, key, row, w, res.response or res.found, recovered=True,
                   outcome="updated" if w.action in ("update", "set_stock") else "created")


class Refusal(Exception):
    """What a kind knows Fortnox cannot take, or a GUESS about Fortnox that its answer disproved: dead-lettered
    with this reason as a Fortnox rejection is (`message`, no code), and it waits the same way."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def refused(sink: Sink, entity: str, row: DeltaRow, w: Write, reason: Callable[[], str | None]) -> bool:
    """Whether `w` is not sent: it waits in the dead letter (as `send` would say), or `reason()` says why Fortnox
    cannot take it, and it is dead-lettered with that reason."""
    key, sent_hash = w.key or row.source_key, rejection_hash(row, w)
    if waits(sink, entity, key, sent_hash, w):
        return True
    why = reason()
    if why:
        sink.reject(entity, key, Refusal(why), w.body if w.body is not None else w.record_payload, sent_hash)
    return bool(why)


def _record(sink: Sink, entity: str, key: str, row: DeltaRow, w: Write, doc: dict, *, recovered: bool,
            outcome: str) -> str | None:
    number = (w.number(doc) if w.number else w.endpoint.number_of(doc)) or w.number_before
    if w.prepare is not None and recovered and not w.booked(doc):
        # idempotent (an invoice made from an order gets its own dates): a kill before mark_done does it again
        try:
            doc = w.prepare(doc)
        except Refusal as err:      # the prepare undid what the write made; the record is not in Fortnox
            sink.ledger.set_status(entity, key, w.restore_status)
            why = err.message
            refused(sink, entity, row, w, lambda: why)
            return None
    booked = w.booked(doc)
    try:
        if w.book and recovered and not booked:
            booked = bookkeep(sink, entity, key, w.endpoint, number, record=False)
    finally:
        # Bookkeep before recording: one ledger write instead of two. If the run dies in between, the row is still
        # `pending` and the next run finds the document by its lookup (no duplicate).
        sink.ledger.mark_done(entity, key, number, row.payload_hash, "synced" if recovered else "adopted", booked,
                              row.order_id, row.extra)
    sink.outcome(entity, key, outcome, number)
    return number


def bookkeep(sink: Sink, entity: str, key: str, endpoint: Endpoint, number: str, record: bool = True) -> bool:
    """PUT <document>/bookkeep for a document woofort created; on an unknown outcome read it back and resend once.
    A rejection is dead-lettered (the document stays synced, unbooked: the sweep of the next run retries).
    Returns True when booked.

    A bookkeep Fortnox rejected for this very document waits (its dead letter's hash is `bookkeep:<number>`): the
    sweep and a credit's booking of its original do not try again until an operator retries (`woofort deadletter
    retry`) or the document changes: `_record` (record=False) books it right after its update. Not a failed
    record: the document is in Fortnox."""
    if record and sink.ledger.waiting(entity, key, BOOKKEEP + str(number)):
        sink.counts["bookkeep_waiting"] += 1
        sink.counts[f"{entity}:bookkeep_waiting"] += 1
        return False

    def booked() -> bool:
        if record:
            sink.ledger.set_booked(entity, key, True)
        return True

    for _ in range(2):
        try:
            sink.client.put(endpoint.action_path(number, "bookkeep"))
            return booked()
        except FortnoxAuthError as err:
            raise auth_failure(err) from err
        except FortnoxOutcomeUnknown:
            if is_true(sink.guard(entity, key, lambda: endpoint.get(sink.client, number)).get("Booked")):
                return booked()
        except FortnoxError as err:
            if not is_rejection(err):
                raise TransientError(str(err)) from err
            # already booked (an earlier answer was lost, or the ledger mark was): read it back first
            if is_true(sink.guard(entity, key, lambda: endpoint.get(sink.client, number)).get("Booked")):
                return booked()
            sink.dead_letter(entity, key, err, None, prefix="bookkeep failed: ",
                             payload_hash=BOOKKEEP + str(number))
            sink.counts["bookkeep_failed"] += 1      # the document itself is in Fortnox: not a failed record
            return False
    sink.notes.append(f"{entity} {key}: bookkeep outcome unknown; retried next run")
    return False


def sweep_bookkeeping(sink: Sink, entity: str, endpoint: Endpoint, skip: set[str] = frozenset()) -> None:
    """Documents woofort created whose bookkeep did not happen (failed or interrupted) are booked now."""
    for key, number in sink.ledger.unbooked(entity):
        if number in skip:
            continue
        try:
            if bookkeep(sink, entity, key, endpoint, number):
                sink.counts["booked_by_sweep"] += 1
        except TransientError as err:
            sink.transient(entity, key, err)


def record_found(sink: Sink, entity: str, row: DeltaRow, led: LedgerRow | None, w: Write, found: dict) -> str:
    """A document a kind looked up itself (before a batch of creates) is recorded as `send` would have."""
    recovering = led is not None and led.status == "pending"
    return _record(sink, entity, row.source_key, row, w, found, recovered=recovering,
                   outcome="created" if recovering else "adopted")


def keep(sink: Sink, entity: str, row: DeltaRow, led: LedgerRow) -> None:
    """Nothing more can be sent for a document that is done (a cancel or a full credit): the ledger takes the
    row's new payload hash, so it is not looked at again."""
    sink.ledger.mark_done(entity, row.source_key, led.fortnox_number, row.payload_hash, led.status, led.booked,
                          row.order_id, row.extra)
    sink.outcome(entity, row.source_key, "unchanged", led.fortnox_number)


def rejection_hash(row: DeltaRow, w: Write) -> str:
    """What a dead letter remembers of the rejected input: the delta row's payload hash and the body as sent
    (after text fitting and the references the kind resolved, e.g. a payment's InvoiceNumber), so a record is
    sent again when either changes."""
    body = w.body if w.body is not None else w.record_payload
    text = json.dumps([row.payload_hash, w.method, w.path, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.md5(text.encode()).hexdigest()


def waits(sink: Sink, entity: str, key: str, payload_hash: str | None, w: Write) -> bool:
    """A record Fortnox rejected with this very payload, nothing it depends on synced since and no operator retry
    (ledger.Ledger.waiting): sending it again would be rejected again, so nothing is sent (not even a look-up) and
    it counts as `failed` (waiting, with a note). A dry run shows it the same way: a real run would not send it."""
    if not sink.ledger.waiting(entity, key, payload_hash):
        return False
    if w.premarked and not sink.dry_run:       # its chunk marked it `pending` before sending: put it back
        sink.ledger.set_status(entity, key, w.restore_status)
    sink.waits(entity, key, "rejected by Fortnox with this same payload")
    return True


def unchanged(sink: Sink, entity: str, row: DeltaRow, led: LedgerRow | None) -> bool:
    """Same payload as the ledger's: nothing to send (also for an invoice cancelled since: it is recreated only
    when the order changes again)."""
    if led is not None and (led.status in DONE or led.status == "cancelled") and led.payload_hash == row.payload_hash:
        sink.outcome(entity, row.source_key, "unchanged", led.fortnox_number)
        return True
    return False


def each_row(sink: Sink, entity: str, rows: list[DeltaRow], one: Callable[[DeltaRow], None]) -> None:
    """`one` per row; a record Fortnox could not answer for is left for the next run, the others go on."""
    for row in rows:
        try:
            one(row)
        except TransientError as err:
            sink.transient(entity, row.source_key, err)


def is_done(led: LedgerRow | None) -> bool:
    return led is not None and led.status in DONE


def envelope_of(payload: dict | None) -> tuple[str | None, dict]:
    """('Invoice', {...}) for {"Invoice": {...}}."""
    if not payload:
        return None, {}
    if len(payload) == 1:
        name, inner = next(iter(payload.items()))
        if isinstance(inner, dict):
            return name, inner
    return None, payload


def with_fields(payload: dict | None, **fields) -> dict:
    """A copy of the payload with fields set on the envelope's inner object."""
    name, inner = envelope_of(payload)
    inner = {**inner, **fields}
    return {name: inner} if name else inner
