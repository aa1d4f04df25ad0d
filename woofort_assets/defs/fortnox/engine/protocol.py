"""One sink run's write protocol, shared by every document kind.

For each write: ledger row `pending` (attempts + 1) committed first, then the HTTP call, then `synced` with the
number, payload hash and booked flag. Outcomes:
- answer              -> synced
- FortnoxOutcomeUnknown -> look the document up: found -> synced (no resend); not found -> resend once;
                         still unknown -> row stays `pending`, the next run looks it up again
- FortnoxError 4xx    -> dead letter (code, message, payload, the delta row's payload hash); ledger row back to
                         `failed` (creates) or to its previous status (updates of a document that exists); the
                         record stays in the delta and waits (steps.send): it is sent again when its payload
                         changes, a document it depends on syncs, or an operator retries it
- FortnoxAuthError    -> ledger row restored, the asset stops with a message (nothing else is attempted)
- other errors (5xx on a GET after the client's retries, network) -> the record is left for the next run; after
  `MAX_CONSECUTIVE_TRANSIENT` in a row the asset stops (Fortnox is down)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from woofort_assets.defs.fortnox.engine.ledger import Ledger
from woofort_assets.defs.fortnox.engine.report import sink_metadata
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxError, FortnoxOutcomeUnknown

MAX_CONSECUTIVE_TRANSIENT = 10

# Errors that concern the whole company, not a record: stop instead of dead-lettering every record.
COMPANY_ERRORS = {
    2000663: "the Fortnox authorization lacks the scope for this resource (reconnect with the scope: "
             "`woofort fortnox connect`)",
    2001101: "the Fortnox company has no active licence for the module this resource needs",
    2001103: "the Fortnox company has no API licence",
}


class TransientError(Exception):
    """A lookup or write could not be completed for a reason that is not the record's fault."""


def auth_failure(err: Exception) -> dg.Failure:
    return dg.Failure(
        description=("Fortnox refused the credentials (the token is lost, revoked or expired): "
                     f"{err}. Run `woofort fortnox connect` to reconnect, then rerun; nothing else was sent."),
        metadata={"fortnox_error": str(err)},
        allow_retries=False,
    )


def company_failure(err: Exception) -> dg.Failure:
    code = getattr(err, "code", None)
    return dg.Failure(description=f"{COMPANY_ERRORS[code]}: {err}. Nothing else was sent.",
                      metadata={"fortnox_error": str(err), "fortnox_code": code}, allow_retries=False)


def is_rejection(err: Exception) -> bool:
    status = getattr(err, "http_status", None)
    return status is not None and 400 <= int(status) < 500 and int(status) not in (401, 408, 429)


def _may_still_be_processing(err) -> bool:
    """A read timeout (or a proxy's 504) means Fortnox may still be executing the write: a lookup made right away
    can miss it and a resend would duplicate it (tests/reliability/test_faults.py, latency_timeout). Such a record
    stays `pending`; the next run looks it up first, when the slow request has long finished."""
    return getattr(err, "http_status", None) == 504 or "Timeout" in str(err)


@dataclass
class WriteResult:
    kind: str                       # ok | found | rejected | unknown
    response: dict | None = None    # the answer's resource (inner object of the envelope)
    found: dict | None = None       # the document a lookup found


@dataclass
class Sink:
    """One sink asset's run: counters, the ledger, the client, dry-run collection."""

    context: dg.AssetExecutionContext
    client: object | None
    ledger: Ledger
    dry_run: bool
    auto_book: bool = True
    counts: Counter = field(default_factory=Counter)
    numbers: list[tuple[str, str, str, str]] = field(default_factory=list)   # entity, key, number, outcome
    rejections: list[tuple[str, str, object, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    planned: int = 0
    consecutive_transient: int = 0

    @property
    def run_id(self) -> str:
        return self.context.run.run_id if self.context is not None else "local"

    # -------------------------------------------------------------- outcome bookkeeping
    def outcome(self, entity: str, key: str, kind: str, number: str | None = None) -> None:
        self.counts[kind] += 1
        self.counts[f"{entity}:{kind}"] += 1
        if number is not None and kind in ("created", "updated", "adopted", "unchanged"):
            self.numbers.append((entity, key, str(number), kind))
        if kind != "pending":
            self.consecutive_transient = 0

    def defer(self, entity: str, key: str, why: str) -> None:
        self.outcome(entity, key, "deferred")
        self.notes.append(f"{entity} {key}: {why}")

    def transient(self, entity: str, key: str, err: Exception) -> None:
        self.counts["pending"] += 1
        self.counts[f"{entity}:pending"] += 1
        self.consecutive_transient += 1
        self.notes.append(f"{entity} {key}: left for the next run ({err})")
        self.context.log.warning(f"fortnox {entity} {key}: left for the next run: {err}")
        if self.consecutive_transient >= MAX_CONSECUTIVE_TRANSIENT:
            raise dg.Failure(
                description=(f"Fortnox failed {self.consecutive_transient} times in a row (last: {err}); "
                             "stopping. The ledger is consistent: rerun when Fortnox answers again."),
                metadata=sink_metadata(self),
            )

    def plan(self, entity: str, key: str, action: str, method: str | None, path: str | None,
             payload: dict | None, note: str | None = None) -> None:
        """Dry run: what a real run would send."""
        self.planned += 1
        self.counts[f"planned:{action}"] += 1
        self.ledger.dry_run(self.run_id, entity, key, action, method, path, payload, note)

    # -------------------------------------------------------------- guarded calls
    def guard(self, entity: str, key: str, fn: Callable[[], object]):
        """Runs a lookup/read. Auth errors stop the asset; other failures raise TransientError."""
        try:
            return fn()
        except FortnoxAuthError as err:
            raise auth_failure(err) from err
        except FortnoxError as err:
            if getattr(err, "code", None) in COMPANY_ERRORS:
                raise company_failure(err) from err
            raise TransientError(str(err)) from err

    def write(self, entity: str, key: str, *, order_id: int | None, number_before: str | None,
              restore_status: str, send: Callable[[], dict], lookup: Callable[[], dict | None] | None,
              payload: dict | None, resend: bool = True, premarked: bool = False,
              payload_hash: str | None = None) -> WriteResult:
        """One write under the ledger protocol (see the module docstring). `send` returns the answer's
        resource; `lookup` returns the document if the write landed (None: it did not). `payload_hash`: the delta
        row's, kept with a dead letter so that the unchanged record waits."""
        if not premarked:       # premarked: already committed `pending` with its chunk (mark_pending_many)
            self.ledger.mark_pending(entity, key, number_before, order_id)
        attempts = 0
        while True:
            try:
                response = send()
                self.ledger.store_document(entity, response)        # reconciliation mirror, no extra call
                return WriteResult("ok", response=response)
            except FortnoxAuthError as err:
                self.ledger.set_status(entity, key, restore_status)
                raise auth_failure(err) from err
            except FortnoxOutcomeUnknown as err:
                self.context.log.warning(f"fortnox {entity} {key}: outcome unknown ({err}); looking it up")
                if lookup is not None:
                    try:
                        found = self.guard(entity, key, lookup)
                    except TransientError as lookup_err:
                        self.transient(entity, key, lookup_err)
                        return WriteResult("unknown")
                    if found is not None:
                        self.ledger.store_document(entity, found, "lookup")
                        return WriteResult("found", found=found)
                if attempts >= 1 or not resend or _may_still_be_processing(err):
                    self.transient(entity, key, err)
                    return WriteResult("unknown")
                attempts += 1
                self.ledger.mark_pending(entity, key, number_before, order_id)
            except FortnoxError as err:
                if getattr(err, "code", None) in COMPANY_ERRORS:
                    self.ledger.set_status(entity, key, restore_status)
                    raise company_failure(err) from err
                if is_rejection(err):
                    self.ledger.set_status(entity, key, restore_status)
                    self.reject(entity, key, err, payload, payload_hash)
                    return WriteResult("rejected")
                # A write failure that is not "unknown" nor a rejection: treat as unknown, keep pending.
                self.transient(entity, key, err)
                return WriteResult("unknown")

    def reject(self, entity: str, key: str, err: Exception, payload: dict | None,
               payload_hash: str | None = None) -> None:
        """The record failed: dead-lettered, counted as failed."""
        self.dead_letter(entity, key, err, payload, payload_hash=payload_hash)
        self.outcome(entity, key, "failed")

    def waits(self, entity: str, key: str, why: str) -> None:
        """A dead-lettered record that is not sent again this run (steps.send): counted under `failed` (it is
        still not in Fortnox) and `<entity>:waiting`, with a note saying how to send it again."""
        self.outcome(entity, key, "failed")
        self.counts["waiting"] += 1
        self.counts[f"{entity}:waiting"] += 1
        self.notes.append(f"{entity} {key}: waits in the dead letter ({why}); not sent again until its input "
                          f"changes or `woofort deadletter retry {entity} {key}`")

    def dead_letter(self, entity: str, key: str, err: Exception, payload: dict | None, prefix: str = "",
                    payload_hash: str | None = None) -> None:
        code = getattr(err, "code", None)
        message = prefix + (getattr(err, "message", None) or str(err))
        self.ledger.dead_letter(entity, key, code, message, getattr(err, "http_status", None), payload,
                                payload_hash)
        self.rejections.append((entity, key, code, message))
        self.context.log.warning(f"fortnox {entity} {key} rejected: {code} {message}")
