"""The `whistle` command: the center's and the departments' actions from a terminal or a script.

Every subcommand takes `--json` (one JSON document on stdout) and `--at ISO-8601` (an "as of"
time, accepted only with WHISTLE_ALLOW_CLOCK_OVERRIDE=1). A refused action prints one line on
stderr, exits 2 and writes nothing; a broken configuration exits 3.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.config import ConfigError
from models.status import TransitionRefused
from whistle import service
from whistle.app import App, get_app, resolve_now
from whistle.errors import Refused
from whistle.inputs import IntakeRequest, validated
from whistle.runner import StageRun, run_stage
from whistle.settings import get_settings


class Context:
    """What a subcommand works with: the installation, an open session, the time, the output."""

    def __init__(self, app: App, session: Session, now: datetime, as_json: bool) -> None:
        self.app, self.session, self.now, self.as_json = app, session, now, as_json
        self.stages: list[StageRun] = []

    def stage(self, stage: str, number: str) -> None:
        self.stages.append(run_stage(self.app, stage, number, self.now))


Handler = Callable[[Context, argparse.Namespace], Any]


def _show(ctx: Context, number: str) -> dict[str, Any]:
    from whistle.views import matter_document

    ctx.session.expire_all()
    return matter_document(ctx.session, ctx.app, service.get_matter(ctx.session, number))


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
    matter = service.register(session=ctx.session, app=ctx.app, intake=intake, now=ctx.now)
    ctx.stage("intake", matter.number)
    return _show(ctx, matter.number)


def cmd_show(ctx: Context, a: argparse.Namespace) -> Any:
    return _show(ctx, a.number)


def cmd_list(ctx: Context, a: argparse.Namespace) -> Any:
    from whistle.queries import list_matters

    return list_matters(
        ctx.session,
        ctx.app,
        status=a.status,
        department=a.department,
        colour=a.colour,
        limit=a.limit,
    )


def cmd_refer(ctx: Context, a: argparse.Namespace) -> Any:
    service.refer(
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
    service.feedback(
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
    from whistle.sweep import run_sweep

    return run_sweep(ctx.app, now=ctx.now)


def cmd_digest(ctx: Context, a: argparse.Namespace) -> Any:
    from flows.digest import daily_digest
    from whistle.runner import without_heartbeat

    with without_heartbeat():
        return daily_digest(now=ctx.now, department=a.department)


def cmd_notices(ctx: Context, a: argparse.Namespace) -> Any:
    from whistle.queries import list_notices

    return list_notices(ctx.session, ctx.app, failed=a.failed, number=a.number)


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
    from whistle.channels import unserved

    missing = unserved(ctx.app.config)
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ConfigError(
            f"{ctx.app.config.folder / 'channels.yaml'}: channels: no notice "
            f"channel serves {len(missing)} recipient(s): {shown}"
        )
    config = ctx.app.config
    return {
        "store": ctx.app.engine.url.render_as_string(hide_password=True),
        "config": str(config.folder),
        "sample": config.district.sample,
        "towns": len(config.towns),
        "villages": len(config.villages),
        "departments": len(config.departments),
        "categories": len(config.categories),
    }


# --- parser -------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document")
    common.add_argument(
        "--at", help="'as of' time, ISO-8601 (needs WHISTLE_ALLOW_CLOCK_OVERRIDE=1)"
    )
    parser = argparse.ArgumentParser(prog="whistle", description=__doc__.splitlines()[0])
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
        ("ack", service.acknowledge, "handling", {}, "acknowledge a referral (签收/报到)"),
        ("progress", service.progress, "handling", {"note": "note"}, "report progress (进展)"),
        (
            "return",
            service.return_matter,
            "handling",
            {"reason": "reason"},
            "return a referral that is not yours (退回)",
        ),
        (
            "report",
            service.report,
            "handling",
            {"note": "note"},
            "a co-handler files its part (报送)",
        ),
        (
            "resolve",
            service.resolve,
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
        _department_action(service.request_extension, "handling", length="length", reason="reason"),
        "a department asks for more time (延期)",
    )
    p.add_argument("number")
    p.add_argument("--department", required=True)
    p.add_argument("--length", required=True, help="e.g. 5wd (working days) or 30d")
    p.add_argument("--reason", required=True)
    p = add(
        "decide-extension",
        _department_action(
            service.decide_extension, "handling", approve="approve", note_text="note"
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
    p = add("notices", cmd_notices, "list notices in the outbox")
    p.add_argument("--failed", action="store_true", help="only those not delivered")
    p.add_argument("--number")
    p = add("departments", cmd_departments, "list departments")
    p.add_argument("--all", action="store_true", help="include every town and village unit")
    add("categories", cmd_categories, "list matter categories")
    add("areas", cmd_areas, "list towns and villages")
    p = sub.add_parser(
        "up", help="run the whole center locally: store, Prefect server and UI, demo"
    )
    p.add_argument("--no-demo", action="store_true")
    p.add_argument("--port", type=int, default=4200, help="Prefect server and UI port")
    p.add_argument("--inbox-port", type=int, default=8765, help="local notice inbox port")
    p.set_defaults(handler=None)
    return parser


def _print(result: Any, as_json: bool, stages: list[StageRun]) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    from whistle.text import human

    print(human(result))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "up":
        from whistle.up import up

        return up(port=args.port, inbox_port=args.inbox_port, demo=not args.no_demo)
    try:
        app = get_app()
        if args.command == "init":
            from whistle.db import create_schema

            create_schema(app.engine)
        now = resolve_now(args.at, get_settings())
        from whistle.db import session

        with session(app.engine) as s:
            ctx = Context(app, s, now, args.json)
            result = args.handler(ctx, args)
    except ConfigError as exc:
        print(f"whistle: configuration error: {exc}", file=sys.stderr)
        return 3
    except (Refused, TransitionRefused) as exc:
        print(f"whistle: refused: {exc}", file=sys.stderr)
        return 2
    _print(result, args.json, ctx.stages)
    for stage in ctx.stages:
        if not stage.ok:
            print(
                f"whistle: warning: recorded, but the {stage.stage} flow did not finish "
                f"({stage.error}); the next sweep completes it",
                file=sys.stderr,
            )
    return 0
