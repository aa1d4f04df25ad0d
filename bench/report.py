"""Renders bench/results.json as bench/results.md (every figure next to the machine and date it ran on)."""

from __future__ import annotations


def _m(m: dict | None) -> str:
    if not m:
        return "machine: unknown"
    return (f"{m.get('cores')} cores ({m.get('cpu_model')}), {m.get('memory_gb')} GB RAM, Python {m.get('python')}, "
            f"load average {'/'.join(str(x) for x in m.get('loadavg_1_5_15', []))} (1/5/15 min), "
            f"{m.get('date_utc')}")


def _s(x, unit="s") -> str:
    if x is None:
        return "–"
    if isinstance(x, (int, float)):
        return f"{x:,.2f} {unit}".strip()
    return str(x)


def _side(d: dict | None, key: str = "seconds", unit: str = "s") -> str:
    if not d:
        return "not run"
    if not d.get("finished", False):
        return f"**did not finish**: {d.get('reason', '?')}"
    return _s(d.get(key), unit)


def _target(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def b1(r: dict) -> list[str]:
    runs, target_rss = r.get("runs", []), r.get("target_peak_rss_mb")
    out = ["## B1 extraction (WooCommerce sandbox → raw.orders)", "",
           f"Sandbox: {r.get('orders'):,} generated orders, every one listed by `status=any` (the benchmark's store "
           f"has no trash or checkout-draft orders), latency fault {r.get('latency_ms')} ms per request, TLS "
           f"(HTTP/1.1 keep-alive), in its own process. Page size {r.get('per_page')}. Every run makes both crawls "
           "of the `woocommerce/orders` asset (by modification, landing every page; by creation, landing what the "
           "first did not) into its own fresh database; the runs alternate sequential and concurrent.", "",
           f"Before: {_m(r.get('machine_before'))}  ", f"After: {_m(r.get('machine_after'))}", "",
           "| run | side | orders landed (distinct in raw) | listing requests | seconds | requests / s | "
           "peak RSS of the extracting process |",
           "|---:|---|---:|---:|---:|---:|---:|"]
    for number, d in enumerate(runs, 1):
        side = (f"woofort, {d['concurrency']} in flight" + (" (the default)" if d["concurrency"] ==
                r.get("default_concurrency") else "")) if d["mode"] == "woofort" else "sequential (one page at a time)"
        if d.get("finished"):
            out.append(f"| {number} | {side} | {d['orders_landed']:,} ({d['distinct_orders_in_raw']:,}) | "
                       f"{d['listing_requests']:,} | {d['seconds']:,.1f} | {d['requests_per_s']:,.1f} | "
                       f"{d['peak_rss_mb']:,.0f} MB |")
        else:
            out.append(f"| {number} | {side} | – | – | {_side(d)} | – | – |")
    for key, c in r.get("comparisons", {}).items():
        seq = " and ".join(f"{x:,.1f} s" for x in c["sequential_seconds"])
        out.append("")
        out.append(f"**{key.split('_')[1]} in flight: {c['speedup']}×** the sequential runs before and after it "
                   f"({seq}, mean against {c['seconds']:,.1f} s; target ≥ {r.get('target_speedup')}×: "
                   f"{_target(c['target_met'])}).")
    peaks = [d["peak_rss_mb"] for d in runs if d.get("finished") and d["mode"] == "woofort"
             and d["concurrency"] == r.get("default_concurrency")]
    if peaks and target_rss:
        verdict = (_target(max(peaks) <= target_rss) if r.get("orders", 0) >= 100_000
                   else "set for 100,000 orders")
        out += ["", f"Peak resident memory at the default concurrency: {max(peaks):,.0f} MB (target ≤ {target_rss} MB "
                    f"at 100,000 orders: {verdict})."]
    out += ["", f"Per-request costs measured in the same run: one 100-order page with the latency fault off takes "
                f"{r.get('page_service_ms_without_latency')} ms (sandbox JSON + TLS + parsing); a TCP connect + TLS "
                f"handshake alone (what a request pays when the server closes the connection; this sandbox keeps it alive) takes "
                f"{r.get('tls_connect_handshake_ms_median')} ms (median of 20).",
            (f"Landing one 100-order page (`land()`: connect under the file lock, Arrow insert, close = checkpoint) "
             f"into a small fresh file: {r['land_ms_per_page']} ms (median of 20).  " if r.get("land_ms_per_page") else "")
            + f"Not in the timed path: the `woocommerce/orders` asset also fetches `orders/{{id}}/refunds` for every "
            f"order that has refunds — {r['sandbox'].get('orders_with_refunds'):,} extra requests here.", ""]
    return out


def b2(r: dict) -> list[str]:
    bound = r.get("pandas_bound", {})
    out = ["## B2 transformation (raw JSON in DuckDB → staging → deltas)", "",
           f"pandas sides are bounded at {bound.get('seconds')} s and {bound.get('rss_gb')} GB resident memory "
           "(killed beyond). Each side is its own process; seconds are wall-clock, CPU s is user+system time "
           "of the process (all DuckDB threads), which is the steadier figure on a shared machine.", ""]
    for size, d in sorted(r.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        n = int(size)
        ds, dd, di = d.get("duckdb_stage", {}), d.get("duckdb_deltas", {}), d.get("duckdb_invoice", {})
        ps, pi = d.get("pandas_stage", {}), d.get("pandas_invoice", {})
        out += [f"### {n:,} orders", "",
                f"Input: {d.get('distinct_generated_orders'):,} distinct orders from the sandbox generator"
                + (f", × {d['replicas']} copies with shifted order/refund ids" if d.get("replicas", 1) > 1 else "")
                + (f"; raw: {d['prep'].get('raw_counts')}, DuckDB file {d['prep'].get('db_mb')} MB"
                   if d.get("prep", {}).get("finished") else "") + ".", "",
                f"Before: {_m(d.get('machine_before'))}  ", f"After: {_m(d.get('machine_after'))}", "",
                "| transformation | DuckDB (woofort) | CPU s | peak RSS | pandas | CPU s | peak RSS | "
                "pandas ÷ DuckDB, wall | pandas ÷ DuckDB, CPU |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

        def rss(x):
            return _s(x.get("peak_rss_mb") or x.get("polled_peak_rss_mb"), "MB") if x.get("finished") or \
                x.get("polled_peak_rss_mb") else "–"

        def cpu(x, key="cpu_s"):
            return _s(x.get(key) if x.get("finished") else x.get("cpu_s_when_killed"))

        def cpu_ratio(p, dk, key="cpu_s"):
            if p.get("finished") and dk.get("finished") and p.get("cpu_s") and dk.get(key):
                return f"{p['cpu_s'] / dk[key]:.1f}"
            return "–"

        wall = lambda v: "–" if v is None else str(v)  # noqa: E731
        out.append(f"| raw.orders → staging.orders + lines (stage_batch 'orders') | "
                   f"{_side(ds, 'orders_seconds')} | {cpu(ds, 'orders_cpu_s')} | {rss(ds)} | "
                   f"{_side(ps)} | {cpu(ps)} | {rss(ps)} | "
                   f"{wall(d.get('staging_orders_ratio_pandas_over_duckdb'))} | {cpu_ratio(ps, ds, 'orders_cpu_s')} |")
        out.append(f"| all raw → staging (7 entities) | {_side(ds)} | {cpu(ds)} | {rss(ds)} | – | – | – | – | – |")
        out.append(f"| staging → invoice delta | {_side(di)} | {cpu(di)} | {rss(di)} | "
                   f"{_side(pi)} | {cpu(pi)} | {rss(pi)} | "
                   f"{wall(d.get('invoice_delta_ratio_pandas_over_duckdb'))} | {cpu_ratio(pi, di)} |")
        label = "staging → all 7 deltas (build_deltas, one pass)" + (" — on replicated staging rows, see below"
                                                         if dd.get("on_replicated_staging") else "")
        out.append(f"| {label} | {_side(dd)} | {cpu(dd)} | {rss(dd)} | – | – | – | – | – |")
        low = d.get("duckdb_deltas_low_memory")
        if low:
            out.append(f"| staging → all 7 deltas at DuckDB memory_limit {low.get('duckdb_memory_limit')} | "
                       f"{_side(low)} | {cpu(low)} | {rss(low)} | – | – | – | – | – |")
        if d.get("replicated_staging"):
            rs = d["replicated_staging"]
            out += ["", f"Staging {n:,} orders did not finish within its bound, so the state for the deltas was built "
                        f"another way (not measured): {d['distinct_generated_orders']:,} orders staged with stage_batch, "
                        f"then their staged rows copied {d['replicas'] - 1} more times with shifted order/refund ids "
                        f"directly in staging.*: {rs.get('staged_rows') if rs.get('finished') else rs.get('reason')}.",
                    f"After the deltas on the replicated state: {_m(d.get('machine_after_replicated'))}"]
        out.append("")
        if ds.get("finished"):
            out.append(f"Staging per entity (s): {ds.get('per_entity_s')}; staged rows: {ds.get('staged_rows')}.  ")
        if dd.get("finished"):
            out.append(f"Delta rows: {dd.get('rows')}; DuckDB memory_limit of the DuckDB steps: "
                       f"{dd.get('duckdb_memory_limit', 'DuckDB default')}.  ")
        if pi.get("finished"):
            out.append(f"Equivalence check, pandas vs SQL invoice delta: {pi.get('check')}.  ")
        if ps.get("finished"):
            out.append(f"Equivalence check, pandas vs SQL staging: {ps.get('check')}.  ")
        if n >= 1_000_000 and dd.get("finished"):
            rss_mb = dd.get("peak_rss_mb") or 0
            if pi.get("finished") and di.get("finished"):
                ratio = f"{pi['seconds'] / di['seconds']:.1f}× ({_target(pi['seconds'] / di['seconds'] >= 10)})"
            elif di.get("finished"):
                bound = pi.get("seconds") or r.get("pandas_bound", {}).get("seconds")
                ratio = (f"more than {bound / di['seconds']:.1f}× (pandas did not finish within its bound; "
                         f"{_target(bound / di['seconds'] >= 10)})" if bound else "–")
            else:
                ratio = "–"
            low = d.get("duckdb_deltas_low_memory") or {}
            low_txt = (f"; at memory_limit {low['duckdb_memory_limit']}: {low['seconds']:.1f} s and "
                       f"{low.get('peak_rss_mb', 0):,.0f} MB ({_target(low['seconds'] <= 30)} for time, "
                       f"{_target(low.get('peak_rss_mb', 0) <= 1024)} for memory)" if low.get("finished") else "")
            out.append(f"Targets at 1,000,000 orders: staging → all deltas ≤ 30 s: {dd['seconds']:.1f} s "
                       f"({_target(dd['seconds'] <= 30)}); peak memory ≤ 1 GB: {rss_mb:,.0f} MB resident "
                       f"({_target(rss_mb <= 1024)}){low_txt}; ≥ 10× pandas (invoice delta, the part pandas "
                       f"implements): {ratio}.")
        out.append("")
    return out


def b3(r: dict) -> list[str]:
    if not r.get("finished", True) or "api_calls" not in r:
        return ["## B3 Fortnox", "", f"did not finish: {r.get('reason')}", ""]
    n = r["paid_orders"]
    out = ["## B3 Fortnox (sink assets → Fortnox sandbox at 25 requests / 5 s)", "",
           f"{n:,} paid orders (processing/completed, no refunds, EU-consumer/OSS orders left out), every customer and "
           f"article new to Fortnox. Delta rows: {r.get('delta_rows')}.", "",
           f"Before: {_m(r.get('machine_before'))}  ", f"After: {_m(r.get('machine_after'))}", "",
           "| figure | value |", "|---|---:|",
           f"| wall time of fortnox/preflight + the six sink assets | {r['wall_s']:,.1f} s |",
           f"| API calls (/3, sandbox counters) | {r['api_calls']:,} |",
           f"| theoretical minimum at 5 requests/s (calls ÷ 5) | {r['theoretical_min_s']:,.1f} s |",
           f"| achieved requests/s | {r['achieved_rps']} ({100 * r['share_of_limit']:.1f} % of 5/s) |",
           f"| 429 answers | {r['429s']} |",
           *([f"| sandbox rate mode | {r['rate_mode']}, network jitter up to {r['jitter_s']} s |"]
             if "rate_mode" in r else []),
           f"| calls per paid order, everything | {r['calls_per_order_total']} |",
           f"| calls per paid order, invoices + payments only (customers and articles existing) | "
           f"{r['calls_per_order_invoices_and_payments']} |",
           f"| ledger | {r.get('ledger')} |", f"| dead letters | {r.get('dead_letters')} |",
           f"| run success | {r.get('success')} {'; '.join(r.get('failures') or [])} |", ""]
    if n < 2000:
        f = 2000 / n
        out.append(f"**Extrapolated to 2,000 orders** (linear in orders; customer counts grow a little slower, so "
                   f"this is an upper bound): ~{r['api_calls'] * f:,.0f} calls, ~{r['wall_s'] * f / 60:,.1f} min "
                   f"wall time, theoretical minimum ~{r['theoretical_min_s'] * f / 60:,.1f} min.")
        out.append("")
    share, calls = r["share_of_limit"], r["calls_per_order_invoices_and_payments"]
    out += [f"Targets: ≥ 95 % of the rate limit: {_target(share >= 0.95)}; zero 429s: {_target(r['429s'] == 0)}; "
            f"≤ 4.2 calls per paid order once customers and articles exist: {_target(calls <= 4.2)}.", "",
            "Calls by endpoint:", "", "| endpoint | calls | per paid order |", "|---|---:|---:|"]
    for k, v in r["calls_by_endpoint"].items():
        out.append(f"| `{k}` | {v:,} | {v / n:.2f} |")
    out.append("")
    out.append(f"Step wall times (s): {r.get('step_s')}")
    out.append("")
    return out


def b4(r: dict) -> list[str]:
    batch, target_s, target_ratio = r["batch_orders"], r["target_seconds"], r["target_ratio"]
    out = ["## B4 incremental cost (a batch of changed orders → staging → deltas → reconciliation)", "",
           f"A batch of {batch:,} changed orders (existing ids, a later date_modified, the status moved on or the "
           f"customer note changed; plus their refunds) landed with a new run_id into a history that is already "
           f"staged, with its deltas and reconciliation built. Each step is its own process and its own DuckDB "
           f"connection (open, work, close with checkpoint), at DuckDB memory_limit {r['duckdb_memory_limit']}. "
           "Total = staging + deltas + reconciliation; landing is shown but not counted.", ""]
    hist = sorted(r.get("histories", {}).items(), key=lambda kv: int(kv[0]))
    for size, d in hist:
        prep = d.get("prep", {})
        out += [f"### history of {int(size):,} orders", "",
                f"Input: {d.get('distinct_generated_orders'):,} distinct generated orders"
                + (f" × {d['replicas']} copies with shifted ids" if d.get("replicas", 1) > 1 else "")
                + (f"; prep (not measured): raw {prep.get('raw_s')} s, staging {prep.get('staging_s')} s, deltas "
                   f"{prep.get('deltas_s')} s, reconciliation {prep.get('reconciliation_s')} s, DuckDB file "
                   f"{prep.get('db_mb')} MB; batch {prep.get('batch')}" if prep.get("finished") else
                   f"; prep: {_side(prep)}") + ".", "",
                f"Before: {_m(d.get('machine_before'))}  ", f"After: {_m(d.get('machine_after'))}", "",
                "| step | seconds | of which close + checkpoint | CPU s | peak RSS (before the work) |",
                "|---|---:|---:|---:|---:|"]
        for step, s in d.get("steps", {}).items():
            close = _s(s["seconds"] - s["work_s"]) if "work_s" in s else "–"
            rss = f"{s['peak_rss_mb']:,.0f} MB ({s['rss_before_mb']:,.0f} MB)" if s.get("finished") else "–"
            cpu = _s(s.get("cpu_s")) if s.get("finished") else "–"
            out.append(f"| {step} | {_side(s)} | {close} | {cpu} | {rss} |")
        if "seconds" in d:
            out.append(f"| **total** (staging + deltas + reconciliation) | **{d['seconds']:,.2f} s** | | "
                       f"{d['cpu_s']:,.2f} s | {d['peak_rss_mb']:,.0f} MB |")
        out.append("")
    done = {int(k): d["seconds"] for k, d in hist if "seconds" in d}
    if 1_000_000 in done:
        line = (f"Targets: the {batch:,}-order batch against 1,000,000 orders ≤ {target_s} s: "
                f"{done[1_000_000]:,.2f} s ({_target(done[1_000_000] <= target_s)})")
        if 100_000 in done:
            ratio = done[1_000_000] / done[100_000]
            line += (f"; ≤ {target_ratio}× the same batch against 100,000: {ratio:.1f}× "
                     f"({_target(ratio <= target_ratio)})")
        out += [line + ".", ""]
    return out


def b5(r: dict) -> list[str]:
    if not r.get("finished", True) or "calls_per_day_max" not in r:
        return ["## B5 daily vouchers", "", f"did not finish: {r.get('reason')}", ""]
    clean, fault = r["clean"], r["fault"]
    return ["## B5 daily vouchers (invoicing.mode daily_vouchers, one day at a time → Fortnox sandbox at 25 / 5 s)",
            "", f"{r['orders']:,} paid Swedish SEK orders and {r['refunds']:,} refunds of {len(r['methods'])} payment "
            f"methods ({', '.join(r['methods'])}) over {r['days_synced']} synced days (at most "
            f"{r['orders_per_day_max']:,} orders a day), each day landed, staged, its deltas built, then "
            "fortnox/preflight and fortnox/daily_vouchers materialized.", "",
            f"Before: {_m(r.get('machine_before'))}  ", f"After: {_m(r.get('machine_after'))}", "",
            "| figure | clean run | with half the voucher answers dropped after commit |", "|---|---:|---:|",
            f"| voucher calls per day, max (`b5.calls_per_day_max`) | {r['calls_per_day_max']} | "
            f"{max(d['voucher_calls'] for d in fault['days'].values())} |",
            f"| voucher calls per day, mean | {r['calls_per_day_mean']} | – |",
            f"| preflight calls per run, max | {r['preflight_calls_per_run_max']} | – |",
            f"| vouchers / file connections | {clean['vouchers']} / {clean['file_connections']} | "
            f"{fault['vouchers']} / {fault['file_connections']} |",
            f"| answers dropped after commit | – | {fault['dropped_after_commit']} |",
            f"| a Description twice / unbalanced vouchers | {len(clean['descriptions_twice'])} / "
            f"{len(clean['unbalanced_vouchers'])} | {len(fault['descriptions_twice'])} / "
            f"{len(fault['unbalanced_vouchers'])} |",
            f"| per day and account the same as the clean run | – | {r['fault_books_as_clean']} |",
            f"| reconciliation daily_vouchers_match | {clean['reconciliation_passed']} | "
            f"{fault['reconciliation_passed']} |",
            f"| writes of a rerun | {clean['rerun_writes']} | {fault['rerun_writes']} |",
            f"| 429 answers | {clean['429s']} | {fault['429s']} |",
            f"| wall time of the 30 days | {clean['wall_s']:,.1f} s | {fault['wall_s']:,.1f} s |", ""]


def render(results: dict) -> str:
    out = ["# woofort benchmarks — results", "",
           "Generated by `make bench` / `python -m bench` (bench/__main__.py) from bench/results.json. "
           "Explanations, bottlenecks and what would move them: docs/performance.md. Every figure is shown with "
           "the machine and load average it ran on; on a shared machine compare CPU seconds, not wall-clock.", ""]
    if results.get("last_run_machine"):
        out += [f"Last run: {_m(results['last_run_machine'])}" + (" — **quick (smoke) sizes**"
                                                                  if results.get("last_run_quick") else ""), ""]
    for key, fn in (("b1", b1), ("b2", b2), ("b3", b3), ("b4", b4), ("b5", b5)):
        if key in results:
            try:
                out += fn(results[key])
            except Exception as err:  # noqa: BLE001 - a partial result still renders as JSON
                out += [f"## {key}", "", f"(could not render: {err!r})", "", "```json",
                        __import__("json").dumps(results[key], indent=1, default=str)[:4000], "```", ""]
    return "\n".join(out) + "\n"
