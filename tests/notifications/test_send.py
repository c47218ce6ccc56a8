"""send() against real loopback SMTP/HTTP receivers: what arrives, and what failure says."""

from __future__ import annotations

import time

import pytest

from notifications.send import ChannelConfigError, Delivery, send
from tests.receivers import LOOPBACK, HttpReceiver, SmtpReceiver

SUBJECT = "【区社会治理中心】关于开展矛盾纠纷排查的通知"
BODY = "各街道：\n请于本周五前报送排查情况。\n联系人：王科长"


def _assert_url_free(error: str | None, *receivers: SmtpReceiver | HttpReceiver) -> None:
    assert error
    for fragment in (LOOPBACK, "json://", "mailto://", "/hook", "example.org"):
        assert fragment not in error
    for receiver in receivers:
        assert str(receiver.port) not in error


def test_chinese_mail_arrives_once_decoded(smtp_receiver: SmtpReceiver) -> None:
    url = smtp_receiver.url(to="jiedao@example.org")

    result = send([url], subject=SUBJECT, body=BODY)

    assert result == Delivery(ok=True, error=None)
    (mail,) = smtp_receiver.wait_for(1)
    assert len(smtp_receiver.messages) == 1
    assert mail.rcpt_tos == ("jiedao@example.org",)
    assert mail.mail_from == "whistle@example.org"
    assert mail.subject == SUBJECT
    assert mail.text is not None
    assert mail.text.rstrip("\n") == BODY
    assert mail.html is None


def test_json_webhook_gets_title_message_and_type(http_receiver: HttpReceiver) -> None:
    result = send([http_receiver.url(path="/hook")], subject=SUBJECT, body=BODY)

    assert result.ok and result.error is None
    (request,) = http_receiver.wait_for(1)
    assert request.path.startswith("/hook")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json["title"] == SUBJECT
    assert request.json["message"] == BODY
    assert request.json["type"] == "info"


def test_html_notice_has_html_part(smtp_receiver: SmtpReceiver) -> None:
    html_body = "<p>各街道：</p><p>请于<b>本周五</b>前报送。</p>"

    result = send([smtp_receiver.url()], subject=SUBJECT, body=html_body, html=True)

    assert result.ok
    (mail,) = smtp_receiver.wait_for(1)
    assert mail.html is not None
    assert "<b>本周五</b>" in mail.html
    # The plain alternative, if any, must not be the raw markup.
    assert mail.text is None or "<b>" not in mail.text


def test_every_channel_receives(smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver) -> None:
    result = send([smtp_receiver.url(), http_receiver.url()], subject=SUBJECT, body=BODY)

    assert result.ok
    assert smtp_receiver.wait_for(1)[0].subject == SUBJECT
    assert http_receiver.wait_for(1)[0].json["message"] == BODY


def test_http_500_is_a_failed_delivery_without_url(http_receiver: HttpReceiver) -> None:
    http_receiver.fail_with(500)

    result = send([http_receiver.url()], subject=SUBJECT, body=BODY)

    assert not result.ok
    assert result.error is not None and "500" in result.error
    assert "channel 1" in result.error
    _assert_url_free(result.error, http_receiver)
    assert len(http_receiver.wait_for(1)) == 1  # it was tried once, not silently skipped


def test_partial_failure_names_the_failed_channel(
    smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver
) -> None:
    http_receiver.fail_with(500)

    result = send([smtp_receiver.url(), http_receiver.url()], subject=SUBJECT, body=BODY)

    assert not result.ok
    assert result.error is not None
    assert result.error.startswith("channel 2:")
    assert "channel 1" not in result.error
    _assert_url_free(result.error, smtp_receiver, http_receiver)
    assert len(smtp_receiver.wait_for(1)) == 1


def test_receiver_down_fails_fast(http_receiver: HttpReceiver) -> None:
    url = http_receiver.url()
    http_receiver.stop()

    started = time.monotonic()
    result = send([url], subject=SUBJECT, body=BODY)
    elapsed = time.monotonic() - started

    assert not result.ok
    _assert_url_free(result.error, http_receiver)
    assert elapsed < 2.0

    # Back on the same port, the same URL works again.
    http_receiver.start()
    assert send([url], subject=SUBJECT, body=BODY).ok
    assert len(http_receiver.wait_for(1)) == 1


def test_smtp_down_fails_without_url(smtp_receiver: SmtpReceiver) -> None:
    url = smtp_receiver.url()
    smtp_receiver.stop()

    result = send([url], subject=SUBJECT, body=BODY, connect_timeout=1.0)

    assert not result.ok
    _assert_url_free(result.error, smtp_receiver)


def test_hanging_receiver_is_bounded_by_read_timeout(
    http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    http_receiver.hang()

    started = time.monotonic()
    result = send([http_receiver.url()], subject=SUBJECT, body=BODY, read_timeout=1.0)
    elapsed = time.monotonic() - started

    assert not result.ok
    _assert_url_free(result.error, http_receiver)
    assert elapsed < 3.0
    http_receiver.release()

    # The next notice is not stuck behind the abandoned one.
    assert send([smtp_receiver.url()], subject="第二条通知", body=BODY).ok
    assert smtp_receiver.wait_for(1)[0].subject == "第二条通知"


def test_whole_call_is_capped_even_if_url_sets_long_read_timeout(
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.hang()

    started = time.monotonic()
    result = send(
        [http_receiver.url() + "?rto=30"],
        subject=SUBJECT,
        body=BODY,
        connect_timeout=0.5,
        read_timeout=1.0,
    )
    elapsed = time.monotonic() - started

    assert result == Delivery(ok=False, error="channel 1: timed out")
    assert elapsed < 3.0


@pytest.mark.parametrize(
    "bad_url",
    [
        "not-a-notice-url",
        "nosuchservice://admin:s3cr3tpass@host.internal/13800138000?token=abcdef",
        "mailto://:s3cr3tpass@",
    ],
)
def test_invalid_url_raises_without_leaking_it(bad_url: str) -> None:
    ok_url = "json://127.0.0.1:9/hook"

    with pytest.raises(ChannelConfigError) as caught:
        send([ok_url, bad_url], subject=SUBJECT, body=BODY)

    message = str(caught.value)
    assert message == "channel 2 is not a valid notice URL"
    for fragment in ("s3cr3tpass", "13800138000", "abcdef", "host.internal", "not-a-notice"):
        assert fragment not in message


def test_apprise_logs_are_scrubbed_during_send(
    http_receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    url = http_receiver.url(path="/13800138000") + "?token=s3cr3tvalue"
    http_receiver.stop()

    with caplog.at_level("DEBUG", logger="apprise"):
        result = send([url], subject=SUBJECT, body=BODY)

    assert not result.ok
    logged = caplog.text
    assert "A Connection error" in logged  # the record is there, only scrubbed
    for fragment in ("13800138000", "s3cr3tvalue", str(http_receiver.port)):
        assert fragment not in logged


def test_no_urls_is_not_a_delivery() -> None:
    assert send([], subject=SUBJECT, body=BODY) == Delivery(ok=False, error="no channel configured")
