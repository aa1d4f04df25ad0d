"""python -m woofort_sandboxes.fortnox --port 8765 [--tls --state-dir DIR] [--warehouse]"""
from __future__ import annotations

import argparse
import signal
import threading

from .server import FortnoxSandbox


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Fortnox API v3 sandbox (loopback only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tenant-id", default="1234567")
    p.add_argument("--client", action="append", default=[], help="client_id:client_secret (repeatable)")
    p.add_argument("--rate-limit", type=int, default=25)
    p.add_argument("--rate-window", type=float, default=5.0)
    p.add_argument("--rate-mode", choices=["sliding", "strict"], default="sliding",
                   help="strict: count at arrival, any closed window holds at most --rate-limit")
    p.add_argument("--rate-jitter", type=float, default=0.0, help="max simulated network delay in s (uniform)")
    p.add_argument("--rate-jitter-seed", type=int, default=0)
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--warehouse", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--state-dir", default=None)
    a = p.parse_args(argv)
    if any(":" not in c or not c.split(":", 1)[0] or not c.split(":", 1)[1] for c in a.client):
        p.error("--client takes CLIENT_ID:CLIENT_SECRET")
    clients = dict(c.split(":", 1) for c in a.client) or None
    sb = FortnoxSandbox(host=a.host, port=a.port, rate_limit=a.rate_limit, rate_window_seconds=a.rate_window,
                        access_token_ttl_seconds=a.token_ttl, clients=clients, tenant_id=a.tenant_id,
                        warehouse=a.warehouse, tls=a.tls, state_dir=a.state_dir, rate_mode=a.rate_mode,
                        rate_jitter_seconds=a.rate_jitter, rate_jitter_seed=a.rate_jitter_seed).start()
    print(f"Fortnox sandbox on {sb.api_url} (tenant {sb.tenant_id})", flush=True)
    client_id = next(iter(sb.oauth.clients))  # the first --client, else the default sandbox-client
    print(f"client_id={client_id}", flush=True)
    print(f"refresh_token={sb.issue_refresh_token(client_id)}", flush=True)
    if sb.ca_path:
        print(f"ca={sb.ca_path}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    sb.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
