"""The `whistle` command: the center's and the departments' actions from a terminal or a script.

Every subcommand takes `--json` (one JSON document on stdout) and `--at ISO-8601` (an "as of"
time, accepted only with WHISTLE_ALLOW_CLOCK_OVERRIDE=1). A refused action prints one line on
stderr, exits 2 and writes nothing; a broken configuration exits 3. When the store cannot be
reached (PostgreSQL down or its connections cut), the command exits 5 with one line saying so:
nothing was written, and the same command can simply be tried again. It speaks Chinese, or
English with WHISTLE_LANGUAGE=en; with --json a refusal is also one JSON document on stdout,
with its code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from engine.follow import FollowUp, after_action
from messages import Language, Names, language_of, text
from messages.usage import ARGPARSE_ZH
from models.config import ConfigError
from models.refusals import Code, Refusal, Refused
from service import actions
from service.app import App, get_app, resolve_now
from service.inputs import IntakeRequest, validated
from service.settings import get_settings


class Context:
    """What a subcommand works with: the installation, an open session, the time, the output."""

    def __init__(self, app: App, session: Session, now: datetime, as_json: bool) -> None:
        self.app, self.session, self.now, self.as_json = app, session, now, as_json
        self.stages: list[FollowUp] = []
        self.exit_code = 0  # a handler may report a finding, e.g. a broken timeline chain
        self.warnings: list[str] = []  # printed on stderr after the result

    def stage(self, stage: str, number: str) -> None:
        """The action is committed: leave what follows to a running engine, or do it here."""
        self.stages.append(after_action(self.app, stage, number, self.now))


Handler = Callable[[Context, argparse.Namespace], Any]


def _show(ctx: Context, number: str) -> dict[str, Any]:
    from service.read.views import matter_document

    ctx.session.expire_all()
    return matter_document(ctx.session, ctx.app, actions.get_matter(ctx.session, number))


# --- handlers -----------------------------------------------------------------------------------


def cmd_intake(ctx: Context, a: argparse.Namespace) -> Any:
    intake = validated(
        IntakeRequest,
        category=a.category,
        title=a.title,
        description=a.description,
        area=a.area,
        name=a.name,
        phone=a.phone,
        id_number=a.id_number,
        people=a.people,
        flags=a.flag or [],
        amount=a.amount,
        visits=a.visits,
        channel=a.channel,
    )
    matter = actions.register(session=ctx.session, app=ctx.app, intake=intake, now=ctx.now)
    ctx.stage("intake", matter.number)
    return _show(ctx, matter.number)


def cmd_show(ctx: Context, a: argparse.Namespace) -> Any:
    return _show(ctx, a.number)


def cmd_list(ctx: Context, a: argparse.Namespace) -> Any:
    from service.read.queries import list_matters
    from whistle.text import matter_table

    found = list_matters(
        ctx.session,
        ctx.app,
        status=a.status,
        department=a.department,
        colour=a.colour,
        limit=a.limit,
    )
    return found if ctx.as_json else matter_table(found, ctx.app.language)


def cmd_refer(ctx: Context, a: argparse.Namespace) -> Any:
    actions.refer(
        session=ctx.session,
        app=ctx.app,
        number=a.number,
        lead=a.lead,
        co=a.co or [],
        actor=a.actor,
        now=ctx.now,
    )
    ctx.stage("referral", a.number)
    return _show(ctx, a.number)


def _department_action(action: Callable[..., Any], stage: str, **fields: str) -> Handler:
    def handler(ctx: Context, a: argparse.Namespace) -> Any:
        values = {key: getattr(a, attr) for key, attr in fields.items()}
        action(
            session=ctx.session,
            app=ctx.app,
            number=a.number,
            department=a.department,
            now=ctx.now,
            **values,
        )
        ctx.stage(stage, a.number)
        return _show(ctx, a.number)

    return handler


def cmd_feedback(ctx: Context, a: argparse.Namespace) -> Any:
    actions.feedback(
        session=ctx.session,
        app=ctx.app,
        number=a.number,
        satisfied=a.satisfied,
        comment=a.comment,
        now=ctx.now,
    )
    ctx.stage("feedback", a.number)
    return _show(ctx, a.number)


def cmd_sweep(ctx: Context, a: argparse.Namespace) -> Any:
    from engine.quiet import quietly
    from flows.sweep import deadline_sweep

    with quietly():
        return deadline_sweep(now=ctx.now)


def cmd_digest(ctx: Context, a: argparse.Namespace) -> Any:
    from engine.quiet import quietly
    from flows.digest import daily_digest

    with quietly():
        return daily_digest(now=ctx.now, department=a.department)


def cmd_notices(ctx: Context, a: argparse.Namespace) -> Any:
    from service.read.queries import list_notices

    if getattr(a, "notices_action", None) == "resend":
        return _resend(ctx, a.id)
    return list_notices(ctx.session, ctx.app, failed=a.failed, number=a.number)


def _resend(ctx: Context, notice_id: int) -> Any:
    """Re-send a dead notice once, in this process: the store first, then its channels."""
    from service.notices.delivery import deliver_one
    from service.notices.resend import resend_notice

    notice = resend_notice(session=ctx.session, notice_id=notice_id, now=ctx.now)
    outcome = deliver_one(ctx.app, notice_id, ctx.now)
    ctx.session.expire_all()
    stored = ctx.session.get(type(notice), notice_id)
    assert stored is not None
    return {
        "id": notice_id,
        "kind": stored.kind,
        "recipient": stored.recipient,
        "status": stored.status,
        "resent_at": notice.resent_at.isoformat() if notice.resent_at else None,
        "sent": bool(outcome and outcome.sent),
        "error": stored.last_error,
    }


def cmd_stats(ctx: Context, a: argparse.Namespace) -> Any:
    from service.read.report import render_report
    from service.read.stats import parse_period, statistics

    period = parse_period(ctx.app, a.start, a.end, ctx.now)
    stats = statistics(ctx.session, ctx.app, period=period, now=ctx.now, by=a.by)
    return stats.as_dict() if ctx.as_json else render_report(stats, ctx.app, form="md")


def cmd_departments(ctx: Context, a: argparse.Namespace) -> Any:
    lang = ctx.app.language
    depts = [d for d in ctx.app.config.departments.values() if a.all or d.group != "unit"]
    return [
        {"code": d.code, "name": d.name if lang == "zh" else d.name_en or d.name, "group": d.group}
        for d in depts
    ]


def cmd_categories(ctx: Context, a: argparse.Namespace) -> Any:
    lang = ctx.app.language
    return [
        {"code": c.code, "name": c.name if lang == "zh" else c.name_en or c.name, "group": c.group}
        for c in ctx.app.config.categories.values()
    ]


def cmd_areas(ctx: Context, a: argparse.Namespace) -> Any:
    lang = ctx.app.language
    out = []
    for town in ctx.app.config.district.towns:
        out.append(
            {
                "code": town.code,
                "name": town.name if lang == "zh" else town.name_en,
                "tier": "town",
                "town": town.code,
            }
        )
        out += [
            {
                "code": v.code,
                "name": v.name if lang == "zh" else v.name_en,
                "tier": "village",
                "town": town.code,
            }
            for v in town.villages
        ]
    return out


def cmd_init(ctx: Context, a: argparse.Namespace) -> Any:
    from service.notices.channels import unserved
    from service.store.migrate import current as current_revision  # Alembic: init only

    missing = unserved(ctx.app.config)
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ConfigError(
            Code.config_unserved,
            path=str(ctx.app.config.folder / "channels.yaml"),
            count=len(missing),
            recipients=shown,
        )
    from service.read.calendar import clock_warnings

    config = ctx.app.config
    warnings = []
    url = ctx.app.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        from pathlib import Path

        from service.private import exposed_store

        warning = exposed_store(Path(url.database), ctx.app.language)
        if warning:
            warnings.append(warning)
    result = {
        "store": ctx.app.engine.url.render_as_string(hide_password=True),
        "schema": current_revision(ctx.app.engine),
        "config": str(config.folder),
        "sample": config.district.sample,
        "towns": len(config.towns),
        "villages": len(config.villages),
        "departments": len(config.departments),
        "categories": len(config.categories),
        "warnings": warnings,
    }
    # Read last: on SQLite the session's read holds the store's lock until the command ends.
    calendar = clock_warnings(ctx.session, ctx.app, ctx.now)
    ctx.warnings += warnings + calendar
    return result | {"calendar_warnings": calendar}


def cmd_calendar(ctx: Context, a: argparse.Namespace) -> Any:
    from service.read import calendar as report

    if a.apply and not a.recompute:
        raise Refused(Code.option_needs, option="--apply", needs="--recompute")
    if a.recompute:
        if a.apply:
            changes = actions.apply_recompute(session=ctx.session, app=ctx.app, now=ctx.now)
        else:
            changes = report.recompute(ctx.session, ctx.app)
        doc = report.recompute_document(ctx.app, changes, applied=a.apply)
        return doc if ctx.as_json else report.render_changes(doc, ctx.app.language)
    years = [a.year] if a.year is not None else report.default_years(ctx.app, ctx.now)
    doc = report.calendar_document(ctx.app, years)
    return doc if ctx.as_json else report.render_years(doc, ctx.app.language)


BROKEN_CHAIN = 4  # exit code of `verify` (and `restore`) when a timeline chain is broken


def cmd_verify(ctx: Context, a: argparse.Namespace) -> Any:
    from service.store.evidence import verify

    if a.number:
        actions.get_matter(ctx.session, a.number)  # an unknown number is refused as usual
    report = verify(ctx.app.engine, number=a.number, language=ctx.app.language)
    if not report.ok:
        ctx.exit_code = BROKEN_CHAIN
    found = report.as_dict()
    if ctx.as_json:
        return found
    keep = ("ok", "matters", "events", "broken", "root")
    return {k: found[k] for k in keep} | {
        p.number: p.message.removeprefix(f"{p.number} ") for p in report.problems
    }


def cmd_backup(ctx: Context, a: argparse.Namespace) -> Any:
    from pathlib import Path

    from service.store.backup import backup

    return backup(ctx.app.engine, Path(a.path), now=ctx.now, language=ctx.app.language)


def cmd_restore(ctx: Context, a: argparse.Namespace) -> Any:
    from pathlib import Path

    from service.store.backup import restore
    from service.store.evidence import verify

    result = restore(ctx.app.engine, Path(a.path), language=ctx.app.language)
    report = verify(ctx.app.engine, language=ctx.app.language)
    result.update(verified=report.ok, broken=len(report.problems))
    if not report.ok:
        ctx.exit_code = BROKEN_CHAIN
    return result


def cmd_retention(ctx: Context, a: argparse.Namespace) -> Any:
    from engine.quiet import quietly
    from flows.retention import personal_data_retention

    with quietly():
        return personal_data_retention(now=ctx.now)


def cmd_worker(ctx: Context, a: argparse.Namespace) -> Any:
    from engine.worker import drain_once

    return drain_once(limit=a.limit, now=ctx.now if a.at else None)


def cmd_token(ctx: Context, a: argparse.Namespace) -> Any:
    from service import tokens

    if a.token_action == "create":
        return tokens.create_token(
            session=ctx.session,
            app=ctx.app,
            department=a.department,
            channel=a.channel,
            label=a.label,
            now=ctx.now,
        )
    if a.token_action == "revoke":
        return tokens.revoke_token(session=ctx.session, token_id=a.id, now=ctx.now)
    return tokens.list_tokens(ctx.session)


def cmd_user(ctx: Context, a: argparse.Namespace) -> Any:
    from service import accounts

    if a.user_action == "create":
        password = sys.stdin.readline().rstrip("\r\n") if a.password_stdin else None
        return accounts.create_user(
            session=ctx.session,
            app=ctx.app,
            department=a.department,
            name=a.name,
            role=a.role,
            password=password,
            now=ctx.now,
        )
    if a.user_action == "disable":
        return accounts.disable_user(session=ctx.session, who=a.who, now=ctx.now)
    return accounts.list_users(ctx.session)


# --- parser -------------------------------------------------------------------------------------


STORE_UNREACHABLE = 5  # exit code: nothing was written, try again


def _one_line(text: str, limit: int = 500) -> str:
    """A message as one printable line: it may echo what was typed (line breaks, terminal
    escape sequences, a megabyte of text), which must not spill over or reach the terminal."""
    shown = "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
        else ch
        for ch in text[: limit + 1]
    )
    return shown[:limit] + " …" if len(shown) > limit else shown


def _store_down(exc: BaseException) -> str | None:
    """The reason, when the exception (or one it came from) is a lost or refused connection to
    the store, as opposed to a bad statement or a bug."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError) or (
            isinstance(seen, DBAPIError) and seen.connection_invalidated
        ):
            text = str(seen.orig or seen).strip()
            return text.splitlines()[0] if text else "no reply"
        seen = seen.__cause__ or seen.__context__
    return None


def _language() -> Language:
    """The language the command speaks: WHISTLE_LANGUAGE (read directly, so even a command that
    cannot load its settings or its configuration is refused in the right language)."""
    return language_of(os.environ.get("WHISTLE_LANGUAGE"))


@contextmanager
def _argparse_speaking(language: Language) -> Iterator[None]:
    """argparse words its errors and help through gettext; in Chinese, swap in the catalogue's
    translations of its message ids while the command line is built and parsed."""
    if language != "zh":
        yield
        return
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]

    def one(message: str) -> str:
        return ARGPARSE_ZH.get(message, message)

    def plural(singular: str, several: str, n: int) -> str:
        return one(singular if n == 1 else several)

    argparse._, argparse.ngettext = one, plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """A mistyped command is a refusal like any other: one line on stderr, exit 2."""

    def error(self, message: str) -> NoReturn:
        language = _language()
        said = text("cli.usage", language, message=_one_line(message), prog=self.prog)
        self.exit(2, text("cli.refused", language, message=said) + "\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document")
    common.add_argument(
        "--at", help="'as of' time, ISO-8601 (needs WHISTLE_ALLOW_CLOCK_OVERRIDE=1)"
    )
    parser = _Parser(prog="whistle", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    add("init", cmd_init, "create or upgrade the store; load and check the configuration")
    p = add("intake", cmd_intake, "register a matter (受理), grade it and refer it")
    p.add_argument("--category", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--description", required=True)
    p.add_argument("--area", required=True, help="town or village code (or its exact name)")
    p.add_argument("--name", required=True, help="the citizen's name (kept in the store only)")
    p.add_argument("--phone", required=True)
    p.add_argument("--id-number")
    p.add_argument("--people", type=int, default=1)
    p.add_argument("--flag", action="append", help="risk flag, repeatable")
    p.add_argument("--amount", type=int, default=0, help="sum involved, yuan")
    p.add_argument("--visits", type=int, default=0, help="earlier visits on the same matter")
    p.add_argument("--channel", default="walk_in")
    p = add("show", cmd_show, "show one matter with its departments and timeline")
    p.add_argument("number")
    p = add("list", cmd_list, "list matters")
    p.add_argument("--status")
    p.add_argument("--department")
    p.add_argument("--colour")
    p.add_argument("--limit", type=int, default=200)
    p = add("refer", cmd_refer, "refer or re-route a matter by hand (转办)")
    p.add_argument("number")
    p.add_argument("--lead", required=True)
    p.add_argument("--co", action="append")
    p.add_argument("--actor", default="center")
    department_actions: list[tuple[str, Callable[..., Any], str, dict[str, str], str]] = [
        ("ack", actions.acknowledge, "handling", {}, "acknowledge a referral (签收/报到)"),
        ("progress", actions.progress, "handling", {"note": "note"}, "report progress (进展)"),
        (
            "return",
            actions.return_matter,
            "handling",
            {"reason": "reason"},
            "return a referral that is not yours (退回)",
        ),
        (
            "report",
            actions.report,
            "handling",
            {"note": "note"},
            "a co-handler files its part (报送)",
        ),
        (
            "resolve",
            actions.resolve,
            "resolution",
            {"outcome": "outcome", "note": "note"},
            "the lead resolves the matter (办结)",
        ),
    ]
    for name, action, stage, fields, help_text in department_actions:
        p = add(name, _department_action(action, stage, **fields), help_text)
        p.add_argument("number")
        p.add_argument("--department", required=True)
        for field in fields:
            p.add_argument(f"--{field}", required=True)
    p = add(
        "extension",
        _department_action(actions.request_extension, "handling", length="length", reason="reason"),
        "a department asks for more time (延期)",
    )
    p.add_argument("number")
    p.add_argument("--department", required=True)
    p.add_argument("--length", required=True, help="e.g. 5wd (working days) or 30d")
    p.add_argument("--reason", required=True)
    p = add(
        "decide-extension",
        _department_action(
            actions.decide_extension, "handling", approve="approve", note_text="note"
        ),
        "the center approves or refuses (延期审批)",
    )
    p.add_argument("number")
    p.add_argument("--department", required=True)
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", dest="approve", action="store_true")
    choice.add_argument("--refuse", dest="approve", action="store_false")
    p.add_argument("--note", required=True)
    p = add("feedback", cmd_feedback, "record the citizen's answer (回访)")
    p.add_argument("number")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--satisfied", dest="satisfied", action="store_true")
    group.add_argument("--unsatisfied", dest="satisfied", action="store_false")
    p.add_argument("--comment")
    add(
        "sweep", cmd_sweep, "apply what is due now: lapsed feedback, pending notices, stuck intakes"
    )
    p = add("digest", cmd_digest, "send each department its daily digest (once a day)")
    p.add_argument("--department")
    p = add("notices", cmd_notices, "list notices in the outbox; `notices resend ID` re-sends")
    p.add_argument("--failed", action="store_true", help="only those not delivered")
    p.add_argument("--number")
    notice_actions = p.add_subparsers(dest="notices_action", required=False, metavar="ACTION")
    n = notice_actions.add_parser(
        "resend",
        parents=[common],
        help="send a dead notice again, once (its channel mended)",
        description="Send a dead notice again, once; a second re-send is refused.",
    )
    n.add_argument("id", type=int, help="the notice's id (see notices --failed)")
    p = add("departments", cmd_departments, "list departments")
    p.add_argument("--all", action="store_true", help="include every town and village unit")
    add("categories", cmd_categories, "list matter categories")
    add("areas", cmd_areas, "list towns and villages")
    p = add("stats", cmd_stats, "the three rates, counts, times and monthly figures (统计)")
    p.add_argument("--from", dest="start", help="first local date (default: 1 January)")
    p.add_argument("--to", dest="end", help="last local date, included (default: today)")
    p.add_argument("--by", choices=["department", "town", "category", "colour"])
    p = add(
        "calendar",
        cmd_calendar,
        "the working-day calendar: each year's source, holidays, make-up days (调休), "
        "working days per month",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--year", type=int, help="one year (default: this year and next)")
    when.add_argument(
        "--recompute",
        action="store_true",
        help="show which running clocks the calendar in force would set differently",
    )
    p.add_argument(
        "--apply", action="store_true", help="move them, recorded on each matter's timeline"
    )
    p = add("verify", cmd_verify, "check the timeline hash chain of one matter or the whole store")
    p.add_argument("number", nargs="?")
    p = add("backup", cmd_backup, "write the whole store to a new backup file (gzip'd JSON lines)")
    p.add_argument("path")
    p = add("restore", cmd_restore, "load a backup file into an empty store, then verify it")
    p.add_argument("path")
    add("retention", cmd_retention, "erase personal data past its retention period after closing")
    p = sub.add_parser("token", help="create, revoke or list HTTP API tokens")
    p.set_defaults(handler=cmd_token)
    token_actions = p.add_subparsers(dest="token_action", required=True, metavar="ACTION")
    t = token_actions.add_parser(
        "create", parents=[common], help="issue a token; it is printed once, only its hash is kept"
    )
    holder = t.add_mutually_exclusive_group(required=True)
    holder.add_argument("--department", help="a department's code, or center")
    holder.add_argument("--channel", help="an intake channel (Open311 api_key), e.g. hotline")
    t.add_argument("--label", help="who holds it, e.g. 'HRSS duty desk'")
    t = token_actions.add_parser("revoke", parents=[common], help="revoke a token at once")
    t.add_argument("id", type=int, help="the token's id (see token list)")
    token_actions.add_parser("list", parents=[common], help="every token issued (no secrets)")
    p = sub.add_parser("user", help="staff accounts of the workbench pages: create, list, disable")
    p.set_defaults(handler=cmd_user)
    user_actions = p.add_subparsers(dest="user_action", required=True, metavar="ACTION")
    t = user_actions.add_parser(
        "create",
        parents=[common],
        help="open an account; prints a one-time password unless --password-stdin gives one",
    )
    t.add_argument("--department", required=True, help="a department's code, or center")
    t.add_argument("--name", required=True, help="the name the person signs in with")
    t.add_argument("--role", choices=["head", "clerk", "leadership"], default="clerk")
    t.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_actions.add_parser("list", parents=[common], help="every account (no passwords)")
    t = user_actions.add_parser(
        "disable", parents=[common], help="stop an account signing in; ends its sessions"
    )
    t.add_argument("who", help="the account's name or id (see user list)")
    p = sub.add_parser("api", help="serve the HTTP API (Open311, department actions, feedback)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(handler=None)
    p = add(
        "worker",
        cmd_worker,
        "the engine: refer, send notices and draw the matters' Prefect runs (start any number)",
    )
    p.add_argument("--limit", type=int, default=50, help="matters taken per pass")
    p.add_argument("--once", action="store_true", help="do what is waiting now, then stop")
    p = sub.add_parser(
        "up", help="run the whole center locally: store, Prefect server and UI, demo"
    )
    p.add_argument("--no-demo", action="store_true")
    p.add_argument("--port", type=int, default=4200, help="Prefect server and UI port")
    p.add_argument("--inbox-port", type=int, default=8765, help="local notice inbox port")
    p.add_argument("--api-port", type=int, default=8000, help="HTTP API port")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the Prefect server and the API listen on; beyond loopback only with "
        "PREFECT_SERVER_API_AUTH_STRING set",
    )
    p.set_defaults(handler=None)
    return parser


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json(document: Any) -> str:
    """One JSON document, Chinese as it is; a lone surrogate that was typed (it cannot be
    written as UTF-8) as its JSON escape, so the document is still what was typed."""
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _print(result: Any, as_json: bool, stages: list[FollowUp]) -> None:
    if as_json:
        print(_json(result))
        return
    from whistle.text import human

    print(human(result, _language()))


def _refused(exc: Refusal, as_json: bool, names: Names | None) -> None:
    """One line on stderr in the user's language; with --json, the refusal's code on stdout."""
    language = _language()
    message = exc.message(language, names)
    key = "cli.config_error" if isinstance(exc, ConfigError) else "cli.refused"
    print(text(key, language, message=_one_line(message)), file=sys.stderr)
    if as_json:
        kind = "config_error" if isinstance(exc, ConfigError) else "refused"
        document = {"code": kind} | exc.as_dict(language, names)
        print(_json(document))


def main(argv: Sequence[str] | None = None) -> int:
    with _argparse_speaking(_language()):
        args = _parser().parse_args(argv)
    if args.command == "worker" and not args.once:
        from engine.worker import work

        try:
            start = resolve_now(args.at, get_settings()) if args.at else None
        except Refusal as exc:
            _refused(exc, False, None)
            return 2
        return work(limit=args.limit, start=start)
    if args.command == "api":
        from web.server import serve

        try:
            return serve(
                host=args.host,
                port=args.port,
                announce=lambda url: print(text("api.serving", _language(), url=url)),
            )
        except ConfigError as exc:
            _refused(exc, False, None)
            return 3
    if args.command == "up":
        from whistle.up import up

        return up(
            port=args.port,
            inbox_port=args.inbox_port,
            demo=not args.no_demo,
            api_port=args.api_port,
            host=args.host,
        )
    ctx: Context | None = None
    app: App | None = None
    try:
        app = get_app()
        if args.command == "init":
            from service.store.db import create_schema

            create_schema(app.engine)
        now = resolve_now(args.at, get_settings())
        from service.store.db import session

        with session(app.engine) as s:
            ctx = Context(app, s, now, args.json)
            result = args.handler(ctx, args)
    except ConfigError as exc:
        _refused(exc, args.json, None)
        return 3
    except Refusal as exc:
        _refused(exc, args.json, app.config if app else None)
        return 2
    except Exception as exc:
        reason = _store_down(exc)
        if reason is None:
            raise
        done = ctx.stages if ctx else []  # a stage is started only after the action committed
        language = _language()
        if done:  # recorded before the store went away: the action must not be repeated
            said = text(
                "cli.store_gone", language, reason=_one_line(reason, 200), stage=done[-1].stage
            )
            print(said, file=sys.stderr)
            return 0
        print(text("cli.store_down", language, reason=_one_line(reason, 200)), file=sys.stderr)
        return STORE_UNREACHABLE
    assert ctx is not None
    _print(result, args.json, ctx.stages)
    for warning in ctx.warnings:
        print(text("cli.warning", _language(), message=_one_line(warning, 1000)), file=sys.stderr)
    for stage in ctx.stages:
        if stage.error:
            said = text("cli.stage_unfinished", _language(), stage=stage.stage, error=stage.error)
            print(said, file=sys.stderr)
    return ctx.exit_code
