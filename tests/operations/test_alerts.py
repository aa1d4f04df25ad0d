"""Alerts through a Slack-compatible webhook, tested against a real HTTP receiver on 127.0.0.1:
run failures, dead-letter growth and the Fortnox token's remaining life; no secret ever in the text."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from tests.operations.conftest import WebhookReceiver
from woofort_assets.defs.automation import sensors
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.fortnox_token import TokenStore
from woofort_assets.lib.notify import notify, redact
from woofort_assets.lib.settings import data_dir, duckdb_path

DAY = 86400


def test_notify_posts_slack_json_and_scrubs_secrets(webhook, monkeypatch):
    monkeypatch.setenv("FORTNOX_CLIENT_SECRET", "s3cr3t-client-value")
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_SECRET", "cs_live_abcdef123456")
    assert notify("failed with s3cr3t-client-value and cs_live_abcdef123456; Authorization: Bearer abc.def.ghijklmnop")
    [received] = webhook.received
    assert received["path"] == "/hooks/alerts" and received["content_type"] == "application/json"
    text = received["json"]["text"]
    assert set(received["json"]) == {"text"}
    assert "s3cr3t" not in text and "cs_live" not in text and "ghijklmnop" not in text and "***" in text
    assert webhook.url not in redact(f"see {webhook.url}")


def test_notify_never_raises(monkeypatch):
    monkeypatch.delenv("WOOFORT_ALERT_WEBHOOK_URL", raising=False)
    assert notify("no webhook configured") is False
    with WebhookReceiver(status=500) as failing:
        assert notify("server error", url=failing.url) is False
        assert len(failing.received) == 1
    assert notify("nobody listening", url="http://127.0.0.1:9/x") is False


def test_run_failure_sensor_alerts(webhook, monkeypatch):
    monkeypatch.setenv("FORTNOX_CLIENT_SECRET", "very-secret-value-42")

    @dg.op
    def explode():
        raise RuntimeError("Fortnox said no (client secret very-secret-value-42)")

    @dg.job(name="sync")
    def failing():
        explode()

    with dg.instance_for_test() as instance:
        result = failing.execute_in_process(instance=instance, raise_on_error=False,
                                            tags={"dagster/partition": "2026-10-05"})
        assert not result.success
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert", dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event()).for_run_failure()
        sensors.run_failure_alert(context)
    [text] = webhook.texts()
    assert "job `sync`" in text and "2026-10-05" in text and result.run_id in text
    assert "very-secret-value-42" not in text


def _dead_letter(key: str) -> None:
    with connect(duckdb_path()) as con:
        con.execute("INSERT INTO ledger.dead_letter (shop, entity, source_key, error_message, status) "
                    "VALUES ('default', 'invoice', ?, 'Kunden finns inte', 'open')", [key])


def test_dead_letter_growth_compares_with_previous_evaluation(webhook, tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    with dg.instance_for_test() as instance:
        def evaluate(cursor):
            context = dg.build_sensor_context(instance=instance, cursor=cursor)
            result = sensors.dead_letter_growth(context)
            return context.cursor, result

        cursor, result = evaluate(None)     # no DuckDB file yet
        assert isinstance(result, dg.SkipReason) and cursor is None
        _dead_letter("1001")
        cursor, _ = evaluate(None)          # first evaluation: baseline, no alert
        assert cursor == "1" and webhook.received == []
        cursor, _ = evaluate(cursor)        # unchanged
        assert webhook.received == []
        _dead_letter("1002")
        _dead_letter("1003")
        cursor, _ = evaluate(cursor)
        assert cursor == "3"
        [text] = webhook.texts()
        assert "from 1 to 3" in text and "invoice 1003" in text and "Kunden finns inte" in text
        with connect(duckdb_path()) as con:
            con.execute("UPDATE ledger.dead_letter SET status = 'resolved'")
        cursor, _ = evaluate(cursor)        # shrinking never alerts
        assert cursor == "0" and len(webhook.received) == 1


def _token_file(issued_days_ago: float | None, needs_connect: str | None = None) -> None:
    refresh = {"client_id": "cid", "refresh_token": "rt-SECRET-REFRESH-TOKEN-VALUE", "access_token": "at-SECRET",
               "access_expires_at": time.time() + 3600, "needs_connect": needs_connect}
    if issued_days_ago is not None:
        refresh["refresh_issued_at"] = time.time() - issued_days_ago * DAY
    store = TokenStore(data_dir())
    with store.locked():
        store.update_section("refresh", refresh)


@pytest.mark.parametrize("issued_days_ago, needs_connect, expected", [
    (5, None, None),                    # 40 days left
    (34.5, None, "expiring"),           # 10.5 days left: still fine ... see below
    (36, None, "expiring"),             # 9 days left
    (46, None, "expired"),
    (5, "Fortnox rejected the refresh token", "needs_connect"),
])
def test_token_condition(issued_days_ago, needs_connect, expected):
    now = time.time()
    data = {"refresh": {"refresh_token": "x", "refresh_issued_at": now - issued_days_ago * DAY,
                        "needs_connect": needs_connect}}
    found = sensors.token_condition(data, now, warn_days=10)
    if issued_days_ago == 34.5:
        assert found is None            # 10.5 days left is above the 10-day warning
    else:
        assert (found[0] if found else None) == expected
    assert sensors.token_condition({"service": {"tenant_id": "1"}}, now, 10) is None


def test_token_life_sensor_warns_once_a_day_without_secrets(webhook, tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    with dg.instance_for_test() as instance:
        def evaluate(cursor):
            context = dg.build_sensor_context(instance=instance, cursor=cursor)
            sensors.fortnox_token_life(context)
            return context.cursor

        assert evaluate(None) is None                    # no token file: nothing to say
        _token_file(issued_days_ago=3)
        cursor = evaluate(None)
        assert webhook.received == []
        _token_file(issued_days_ago=37)                  # 8 days left
        cursor = evaluate(cursor)
        [text] = webhook.texts()
        assert "8." in text or "7.9" in text
        assert "days left" in text and "SECRET" not in text
        cursor = evaluate(cursor)                        # same condition within a day: no repeat
        assert len(webhook.received) == 1
        _token_file(issued_days_ago=None, needs_connect="the reply to the token refresh was lost")
        evaluate(cursor)
        assert len(webhook.received) == 2 and "woofort fortnox connect" in webhook.texts()[1]
