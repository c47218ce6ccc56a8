"""The leadership board: open matters in the four colours by town and lead department, what is
overdue at which escalation level, this month's three rates, and each matter's Prefect run."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response

from service.read.stats import parse_period, statistics
from service.read.workbench import COLOURS, board
from service.store.db import session
from web.auth import to_login
from web.context import VisitDep

router = APIRouter(include_in_schema=False)

RATES = ("response", "resolution", "satisfaction")


@router.get("/board")
def leadership_board(visit: VisitDep) -> Response:
    staff = visit.staff
    if staff is None:
        return to_login(visit)
    if not staff.sees_board:
        return visit.page("error.html", 403, message=visit.say("forbidden"))
    app = visit.app
    today = visit.now.astimezone(app.calendar.zone).date()
    first = date(today.year, today.month, 1)
    period = parse_period(app, first.isoformat(), today.isoformat(), visit.now)
    with session(app.engine) as s:
        found = board(s, now=visit.now, since=period.start)
        stats = statistics(s, app, period=period, now=visit.now)
    ui = (app.settings.prefect_ui_url or "").rstrip("/")
    towns = {t.code: t for t in app.config.district.towns}
    return visit.page(
        "board.html",
        board=found,
        colours=COLOURS,
        rates=[(key, stats.rates[key]) for key in RATES],
        month=f"{today.year}-{today.month:02d}",
        run_url=(lambda run_id: f"{ui}/runs/flow-run/{run_id}" if ui and run_id else ""),
        town_order=[code for code in towns if code in found.by_town],
    )
