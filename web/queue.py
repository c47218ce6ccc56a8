"""The department's queue: what waits to be acknowledged, what is in hand, due soon or overdue,
and what it returned or finished; filtered by colour and status. It needs a sign-in."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from service.accounts import StaffRole
from service.read.workbench import COLOURS, GROUPS, department_queue
from service.store.db import session
from web.auth import home_of, to_login
from web.context import VisitDep

router = APIRouter(include_in_schema=False)


@router.get("/queue")
def queue(visit: VisitDep) -> Response:
    staff = visit.staff
    if staff is None:
        return to_login(visit)
    if staff.is_center or staff.role is StaffRole.leadership:
        return visit.finish(RedirectResponse(home_of(staff), status_code=303))
    colour = visit.request.query_params.get("colour", "")
    group = visit.request.query_params.get("group", "")
    with session(visit.app.engine) as s:
        found = department_queue(s, visit.app, staff.department, now=visit.now)
    entries = [
        e
        for e in found.entries
        if (colour not in COLOURS or e.colour == colour)
        and (group not in GROUPS or e.group == group)
    ]
    return visit.page(
        "queue.html",
        queue=found,
        entries=entries,
        groups=GROUPS,
        colours=COLOURS,
        colour=colour if colour in COLOURS else "",
        group=group if group in GROUPS else "",
    )
