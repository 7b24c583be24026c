"""The webhook, against a real HTTP server on 127.0.0.1 (tests/alerts/receiver.py): alerts arrive
as JSON; a server that is slow, failing or gone never holds up the sender, failures are retried a
bounded number of times, and only http(s) URLs are taken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.receiver import WebhookReceiver
from openhear.alerts.events import Alert, Priority, alert_record
from openhear.alerts.webhook import Webhook, WebhookOptions, check_webhook_url
from openhear.cli import main
from openhear.errors import UsageError

ALARM = Path(__file__).parents[1] / "data" / "alerts" / "freesound_325367_fire_house_alarm.wav"
QUICK = WebhookOptions(timeout_s=0.5, attempts=3, retry_pause_s=0.01)
SMOKE = Alert("smoke", "Smoke or fire alarm", Priority.LIFE_SAFETY, 3.4, 2.5, 0.91, "classifier")


def test_an_alert_arrives_as_json(receiver):
    webhook = Webhook(receiver.url)
    webhook.send(alert_record(SMOKE))
    webhook.close()
    (body,) = receiver.wait_for(1)
    path, headers, _ = receiver.posts[0]
    assert path == "/api/webhook/openhear-test"
    assert headers["Content-Type"] == "application/json"
    assert (body["type"], body["sound"], body["life_safety"], body["score"]) == (
        "alert",
        "smoke",
        True,
        0.91,
    )
    assert body["wall_time"][:2] == "20" and webhook.delivered == 1


def test_a_server_error_is_retried_a_bounded_number_of_times():
    receiver = WebhookReceiver(statuses=[500, 503])  # fails twice, then answers 200
    try:
        webhook = Webhook(receiver.url, QUICK)
        webhook.send({"type": "alert", "sound": "doorbell"})
        webhook.close()
        assert len(receiver.wait_for(3)) == 3 and (webhook.delivered, webhook.failed) == (1, 0)
    finally:
        receiver.close()
    always = WebhookReceiver(statuses=[500] * 10)
    try:
        webhook = Webhook(always.url, QUICK)
        webhook.send({"type": "alert", "sound": "doorbell"})
        webhook.close()
        assert len(always.posts) == QUICK.attempts and webhook.failed == 1
    finally:
        always.close()


def test_a_refusal_is_not_retried():
    receiver = WebhookReceiver(statuses=[404])
    try:
        webhook = Webhook(receiver.url, QUICK)
        webhook.send({"type": "alert", "sound": "knock"})
        webhook.close()
        assert len(receiver.posts) == 1 and webhook.failed == 1
    finally:
        receiver.close()


def test_a_server_that_never_answers_holds_up_nothing():
    receiver = WebhookReceiver()
    receiver.hold.clear()  # it takes each request and never answers (until the test ends)
    try:
        webhook = Webhook(receiver.url, QUICK)
        for n in range(5):  # the caller goes on at once: sending happens on the webhook's thread
            webhook.send({"type": "alert", "n": n})
        receiver.wait_for(QUICK.attempts + 1)  # each try timed out; the next alert is being tried
        assert (
            receiver.posts[0][2]
            == receiver.posts[QUICK.attempts - 1][2]
            == {
                "type": "alert",
                "n": 0,
            }
        )
        assert receiver.posts[QUICK.attempts][2]["n"] == 1
    finally:
        webhook.close(wait_s=0.1)
        receiver.close()
    assert webhook.failed >= 1


def test_a_full_queue_drops_the_oldest():
    receiver = WebhookReceiver()
    receiver.hold.clear()
    try:
        webhook = Webhook(receiver.url, WebhookOptions(timeout_s=5, max_queued=3))
        webhook.send({"n": 0})
        receiver.wait_for(1)  # alert 0 is being sent: the queue is empty again
        for n in range(1, 6):
            webhook.send({"n": n})
        assert webhook.dropped == 2  # 1 and 2 went; 3, 4, 5 wait
        receiver.hold.set()
        webhook.close()
        assert [b["n"] for b in receiver.wait_for(4)] == [0, 3, 4, 5]
    finally:
        receiver.close()


def test_no_proxy_from_the_environment_is_used(receiver, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    webhook = Webhook(receiver.url, QUICK)
    webhook.send({"type": "alert"})
    webhook.close()
    assert receiver.wait_for(1) == [{"type": "alert"}] and webhook.delivered == 1


def test_a_server_that_is_gone_is_given_up():
    receiver = WebhookReceiver()
    url = receiver.url
    receiver.close()  # nothing listens on its port now
    webhook = Webhook(url, QUICK)
    webhook.send({"type": "alert"})
    webhook.close()
    assert (webhook.delivered, webhook.failed) == (0, 1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/x", "must be an http:// or https:// URL (got ftp scheme)"),
        ("file:///etc/passwd", "must be an http:// or https:// URL (got file scheme)"),
        ("127.0.0.1:8123/api/webhook/x", "must be an http:// or https:// URL"),
        ("http:///api/webhook/x", "names no host"),
        ("http://user:secret@127.0.0.1/x", "must not carry a user name or password"),
        ("http://127.0.0.1:99999/x", "is not a valid URL"),
    ],
)
def test_only_http_urls_are_taken(url, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_webhook_url(url)


def test_https_and_lan_addresses_are_taken():
    for url in ("https://ha.local:8123/api/webhook/abc", "http://192.168.1.20:8123/api/webhook/x"):
        assert check_webhook_url(url) == url


def test_openhear_alerts_posts_each_alert(receiver, capsys):
    code = main(["alerts", str(ALARM), "--webhook", receiver.url, "--json"])
    out = capsys.readouterr().out
    assert code == 0
    (body,) = receiver.wait_for(1)
    printed = json.loads(out.splitlines()[0])
    assert body["sound"] == printed["sound"] == "smoke"
    assert body["time_s"] == printed["time_s"] and body["type"] == "alert"


@pytest.mark.parametrize("command", [["alerts", str(ALARM)], ["serve"]])
def test_a_bad_webhook_is_a_usage_error(command, capsys):
    assert main([*command, "--webhook", "ftp://127.0.0.1/x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--webhook must be an http:// or https:// URL" in err
