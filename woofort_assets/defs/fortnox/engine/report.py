"""What a sink run shows in the Dagster UI: outcome counts, the Fortnox numbers, rejections and notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:  # the sink imports this module to report on itself
    from woofort_assets.defs.fortnox.engine.protocol import Sink

METADATA_ROWS = 50
OUTCOMES = ("created", "updated", "unchanged", "adopted", "failed", "deferred", "pending")


def _table(header: tuple[str, ...], rows: list[tuple], footer: str) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in rows[:METADATA_ROWS]]
    if len(rows) > METADATA_ROWS:
        lines.append(f"| … | {len(rows) - METADATA_ROWS} more |" + " |" * (len(header) - 2))
    lines.append(f"\n{footer}")
    return "\n".join(lines)


def sink_metadata(sink: Sink) -> dict:
    md: dict = {k: dg.MetadataValue.int(sink.counts.get(k, 0)) for k in OUTCOMES}
    md["dry_run"] = dg.MetadataValue.bool(sink.dry_run)
    if sink.dry_run:
        md["planned_writes"] = dg.MetadataValue.int(sink.planned)
        md["planned_by_action"] = dg.MetadataValue.json(
            {k.split(":", 1)[1]: v for k, v in sink.counts.items() if k.startswith("planned:")})
        md["dry_run_table"] = dg.MetadataValue.text(
            f"SELECT * FROM ledger.dry_run_payloads WHERE run_id = '{sink.run_id}'")
    per_entity = {k: v for k, v in sink.counts.items() if ":" in k and not k.startswith("planned:")}
    if per_entity:
        md["by_entity"] = dg.MetadataValue.json(dict(sorted(per_entity.items())))
    md["fortnox_numbers"] = dg.MetadataValue.md(_table(("entity", "source key", "Fortnox number", "outcome"),
                                                       sink.numbers, f"**Total: {len(sink.numbers)}**"))
    if sink.rejections:
        md["dead_letter"] = dg.MetadataValue.md(_table(
            ("entity", "source key", "code", "message"), sink.rejections,
            f"**Total rejected this run: {len(sink.rejections)}** (see ledger.dead_letter)"))
    if sink.notes:
        md["notes"] = dg.MetadataValue.md("\n".join(f"- {n}" for n in sink.notes[:METADATA_ROWS]))
    return md
