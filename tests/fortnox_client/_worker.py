"""Worker process for the multi-process tests: `python _worker.py JSON_ARGS` prints a JSON result line."""

from __future__ import annotations

import json
import sys
import threading
import time

from woofort_assets.resources.fortnox import FortnoxClient, FortnoxError  # noqa: E402


def _sleep_until(t: float) -> None:
    while (left := t - time.time()) > 0:
        time.sleep(min(left, 0.05))


def main() -> None:
    args = json.loads(sys.argv[1])
    client = FortnoxClient(**args["client"])
    results = {"ok": 0, "errors": [], "latencies": []}
    lock = threading.Lock()

    def call():
        started = time.monotonic()
        try:
            client.get("/3/companyinformation")
            with lock:
                results["ok"] += 1
                results["latencies"].append(time.monotonic() - started)
        except FortnoxError as exc:
            with lock:
                results["errors"].append(str(exc))
        except Exception as exc:  # anything else would end the thread silently: the test must see it
            with lock:
                results["errors"].append(f"{type(exc).__name__}: {exc}")

    def rounds_thread():
        for r in range(args["rounds"]):
            _sleep_until(args["start_at"] + r * args["gap"])
            call()

    def load_thread():
        _sleep_until(args["start_at"])
        end = args["start_at"] + args["duration"]
        while time.time() < end:
            call()

    target = rounds_thread if args["mode"] == "rounds" else load_thread
    threads = [threading.Thread(target=target) for _ in range(args["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
