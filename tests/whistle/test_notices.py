"""Notices that always arrive once: outages, hanging channels, giving up, crashes, email, digest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from typing import Any

from service import app as app_module
from tests.fixtures import World


def set_delivery(world: World, **rules: Any) -> None:
    """Add a `delivery:` section to the world's channels.yaml and reload the installation."""
    path = world.folder / "channels.yaml"
    lines = "".join(f"  {key}: {value}\n" for key, value in rules.items())
    path.write_text("delivery:\n" + lines + path.read_text("utf-8"), "utf-8")
    app_module.reset()


def to_departments(world: World) -> list[Any]:
    return [r for r in world.http.requests if r.path.startswith("/dept/")]


def test_outage_then_recovery_delivers_each_notice_once(world: World) -> None:
    world.http.stop()
    numbers = [world.intake(title=f"停电期间{i}", description="d")["number"] for i in range(3)]
    failed = world.ok("notices", "--failed")
    assert len(failed) == 9 and {n["status"] for n in failed} == {"failed"}
    assert all(n["attempts"] == 1 and "channel 1" in n["last_error"] for n in failed)

    world.ok("sweep", at="2026-11-26T09:00:30+08:00")  # before the first retry delay (1 min)
    assert len(world.ok("notices", "--failed")) == 9

    world.http.start()
    world.ok("sweep", at="2026-11-26T09:01:30+08:00")
    world.ok("sweep", at="2026-11-26T09:40:00+08:00")
    delivered = to_departments(world)
    assert len(delivered) == 9
    assert len({(r.path, r.json["title"]) for r in delivered}) == 9
    assert world.ok("notices", "--failed") == []
    for number in numbers:
        sent = world.ok("notices", "--number", number)
        assert {n["status"] for n in sent} == {"sent"} and {n["attempts"] for n in sent} == {2}


def test_channel_given_up_is_dead_shown_and_counted(world: World) -> None:
    set_delivery(world, retry="[1m]", then_every="10m", give_up_after="30m")
    world.http.fail_with(503)
    number = world.intake()["number"]
    for minute in ("01:30", "11:30", "21:30", "31:30"):
        world.ok("sweep", at=f"2026-11-26T09:{minute}+08:00")
    failed = world.ok("notices", "--failed", "--number", number)
    assert {n["status"] for n in failed} == {"dead"}
    assert {n["attempts"] for n in failed} == {4}  # 09:00, :01, :11, :21; :31 is past 30 min
    swept = world.ok("sweep", at="2026-11-26T10:00:00+08:00")
    assert swept["outbox"] == {"failed": 0, "dead": 3}
    world.http.recover()
    world.ok("sweep", at="2026-11-26T11:00:00+08:00")
    assert len(world.ok("notices", "--failed")) == 3  # dead stays dead: the center decides


def test_the_center_resends_a_dead_notice_once(world: World) -> None:
    """A dead notice goes again with `whistle notices resend ID`, once: only to the channels
    that never had it (the center's email did; its webhook did not), recorded on the timeline;
    a second re-send, a notice that is not dead and an unknown id are refused, changing
    nothing."""
    set_delivery(world, retry="[1m]", then_every="10m", give_up_after="30m")
    world.http.fail_with(503)
    number = world.intake()["number"]
    world.ok("return", number, "--department", "justice", "--reason", "不属本部门")
    for minute in ("01:30", "11:30", "21:30", "31:30"):
        world.ok("sweep", at=f"2026-11-26T09:{minute}+08:00")
    dead = world.ok("notices", "--failed", "--number", number)
    assert {n["status"] for n in dead} == {"dead"} and len(dead) == 4
    returned = next(n for n in dead if n["recipient"] == "center")
    assert len(world.smtp.messages) == 1  # the email channel took it at the first try

    world.http.recover()
    mails, hooks = len(world.smtp.messages), len(world.http.requests)
    done = world.ok("notices", "resend", str(returned["id"]), at="2026-11-26T11:00:00+08:00")
    assert (done["status"], done["sent"], done["recipient"]) == ("sent", True, "center")
    assert len(world.smtp.messages) == mails  # the email is not sent twice
    again = [r for r in world.http.requests[hooks:] if r.path == "/dept/center"]
    assert len(again) == 1 and number in again[0].json["title"]
    events = world.ok("show", number)["events"]
    resent = [e for e in events if e["action"] == "notice_resent"]
    assert [(e["actor"], e["data"]["notice"]) for e in resent] == [("center", returned["id"])]
    assert [e["data"]["notice"] for e in events if e["action"] == "notified"].count(
        returned["id"]
    ) == 1

    before = (world.ok("notices"), world.ok("show", number), len(world.http.requests))
    for notice_id, message in (
        (returned["id"], "notice_resent_once"),
        (returned["id"] + 100, "no_notice"),
    ):
        refused = world.cli("notices", "resend", str(notice_id))
        assert refused.code == 2 and refused.data["refusal"] == message, refused.err
    assert (world.ok("notices"), world.ok("show", number)) == before[:2]  # nothing changed
    referral = next(n for n in dead if n["kind"] == "referral")
    world.ok("notices", "resend", str(referral["id"]))
    not_dead = world.cli("notices", "resend", str(referral["id"]))
    assert not_dead.code == 2 and not_dead.data["refusal"] == "notice_resent_once"
    world.ok("return", number, "--department", "public_security", "--reason", "不属本部门")
    sent = world.ok("notices")[-1]  # the center is told of the second return, at once
    assert sent["status"] == "sent"
    assert world.cli("notices", "resend", str(sent["id"])).code == 2
    assert world.runs[-1].data["refusal"] == "notice_not_dead"
    assert before[2] + 2 == len(world.http.requests)  # the referral's re-send, the new return


def test_a_resent_notice_that_fails_again_gets_a_fresh_day_then_stays_dead(world: World) -> None:
    set_delivery(world, retry="[1m]", then_every="10m", give_up_after="30m")
    world.http.fail_with(503)
    number = world.intake()["number"]
    for minute in ("01:30", "11:30", "21:30", "31:30"):
        world.ok("sweep", at=f"2026-11-26T09:{minute}+08:00")
    notice = world.ok("notices", "--failed", "--number", number)[0]
    first = world.ok("notices", "resend", str(notice["id"]), at="2026-11-26T12:00:00+08:00")
    assert (first["status"], first["sent"]) == ("failed", False)  # still down: tried again
    for minute in ("01:30", "11:30", "21:30", "31:30"):
        world.ok("sweep", at=f"2026-11-26T12:{minute}+08:00")
    shown = next(n for n in world.ok("notices", "--failed") if n["id"] == notice["id"])
    assert shown["status"] == "dead"
    refused = world.cli("notices", "resend", str(notice["id"]))
    assert refused.code == 2 and refused.data["refusal"] == "notice_resent_once"


def test_hanging_channel_does_not_hold_other_notices(world: World) -> None:
    hanging = world.http.url("/").rstrip("/")
    # Only the justice department's channel is the hanging receiver; the rest go by email.
    (world.folder / "channels.yaml").write_text(
        "delivery:\n  connect_timeout: 1\n  read_timeout: 1\n"
        "channels:\n"
        f'  - url: "{hanging}/dept/justice"\n'
        "    to: [justice]\n"
        f'  - url: "{world.smtp.url(to="depts@district.example")}"\n'
        "    to: [center, hrss, public_security]\n"
        "citizen:\n"
        f'  - "{hanging}/sms?:to={{phone}}"\n',
        "utf-8",
    )
    app_module.reset()
    world.http.hang()
    started = time.monotonic()
    number = world.intake()["number"]  # hrss lead; public_security, justice co-handling
    took = time.monotonic() - started
    world.http.release()
    assert took < 10, f"intake waited {took:.1f}s on a hanging channel"
    mails = world.smtp.wait_for(2)
    assert sorted("人社" in m.subject for m in mails) == [False, True]
    notices = {n["recipient"]: n for n in world.ok("notices", "--number", number)}
    assert notices["hrss"]["status"] == notices["public_security"]["status"] == "sent"
    assert notices["justice"]["status"] == "failed"
    assert notices["justice"]["last_error"].startswith("channel 1: ")


def test_killed_between_outbox_write_and_delivery_delivers_once(world: World) -> None:
    number = world.intake()["number"]
    world.http.wait_for(3)
    before = len(world.http.requests)
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import datetime
        from service.app import get_app
        from service.store.db import session
        from service import actions
        app = get_app()
        with session(app.engine) as s:
            actions.return_matter(session=s, app=app, number="{number}", department="justice",
                                  reason="协办事项不属本部门", now=datetime.fromisoformat(
                                      "2026-11-26T09:30:00+08:00"))
        os.kill(os.getpid(), signal.SIGKILL)  # dies before any flow could deliver
        """
    )
    env = dict(os.environ)
    killed = subprocess.run([sys.executable, "-c", script], env=env, check=False, timeout=120)
    assert killed.returncode == -9
    assert world.smtp.messages == []
    pending = world.ok("notices", "--number", number)
    assert [n["status"] for n in pending if n["kind"] == "returned"] == ["pending"]

    world.ok("sweep", at="2026-11-26T09:31:00+08:00")
    world.ok("sweep", at="2026-11-26T09:45:00+08:00")
    mails = world.smtp.wait_for(1)
    assert len(mails) == 1 and "退回" in mails[0].subject
    after = world.http.requests[before:]  # the center's webhook (its '*' channel), once
    assert [r.path for r in after] == ["/dept/center"] and "退回" in after[0].json["title"]


def test_center_gets_html_email_with_markup_escaped(world: World) -> None:
    number = world.intake(
        category="neighbour", title="<b>漏水</b>", description="楼上<script>x()</script>漏水"
    )["number"]
    lead = world.ok("show", number)["lead_department"]
    world.ok("return", number, "--department", lead, "--reason", "非<i>本会</i>职责")
    mail = world.smtp.wait_for(1)[0]
    assert mail.html is not None and mail.html.lstrip().startswith("<!DOCTYPE html>")
    assert "&lt;i&gt;本会&lt;/i&gt;" in mail.html and "<i>" not in mail.html
    assert "&lt;b&gt;漏水&lt;/b&gt;" in mail.html
    assert f'href="https://whistle.example/matters/{number}"' in mail.html
    webhook = next(r for r in world.http.requests if r.path == f"/dept/{lead}")
    assert "<b>漏水</b>" in webhook.json["message"]  # robots get the plain text as written


def test_daily_digest_once_per_department_and_day(world: World) -> None:
    first = world.intake()["number"]
    second = world.intake(category="neighbour", title="噪音", description="d")["number"]
    world.ok("ack", first, "--department", "hrss")
    result = world.ok("digest", at="2026-11-27T10:00:00+08:00")
    assert set(result["departments"]) == {"hrss", "public_security", "justice", "T01V01.mediation"}
    hrss = [r.json for r in world.http.requests if r.path == "/dept/hrss"][-1]
    assert "每日待办" in hrss["title"] and "办理中1件" in hrss["title"] and first in hrss["message"]
    mediation = [r.json for r in world.http.requests if r.path == "/dept/T01V01.mediation"][-1]
    assert "待签收1件" in mediation["title"] and "超时1件" in mediation["title"]
    assert second in mediation["message"] and "【已超时】" in mediation["message"]
    again = world.ok("digest", at="2026-11-27T17:00:00+08:00")
    assert again["departments"] == []
    assert world.ok("digest", at="2026-11-28T08:00:00+08:00")["departments"]


def test_init_refuses_a_department_no_channel_serves(world: World) -> None:
    channels = world.folder / "channels.yaml"
    channels.write_text(channels.read_text("utf-8").replace("to: ['*']", "to: ['T0*']"), "utf-8")
    app_module.reset()
    result = world.cli("init")
    assert result.code == 3
    assert "channels.yaml" in result.err and "hrss" in result.err
