"""Matters driven through random sequences of actions, sweeps and clock jumps (a hypothesis state
machine over the service layer, on SQLite and PostgreSQL). Whatever the order, every refusal is
clean and writes nothing, every accepted step moves the status the way the rules say, and the
store's invariants hold after every step."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from service import actions
from service.app import App
from service.notices.delivery import deliver_pending
from service.store.db import session
from tests.properties import invariants
from tests.properties.conftest import examples
from tests.properties.helpers import REFUSALS, act, clean, register, snapshot
from tests.properties.strategies import typed_text

pytestmark = [
    pytest.mark.filterwarnings("ignore::models.calendar.CalendarDataWarning"),
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

START = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
CATEGORIES = ["wage_arrears", "neighbour", "petition", "family", "counselling"]
OTHERS = ["hrss", "health", "justice", "public_security", "civil_affairs", "petitions"]
OUTCOMES = ["mediated", "handled", "explained", "litigation", "unresolvable"]


def machine_for(app: App) -> type[RuleBasedStateMachine]:
    """The state machine class bound to one store."""

    class MatterLife(RuleBasedStateMachine):
        matters = Bundle("matters")

        def __init__(self) -> None:
            super().__init__()
            self.now = START
            self.numbers: list[str] = []

        # --- helpers

        def parts(self, number: str) -> list[Any]:
            with session(app.engine) as s:
                return actions.assignments_of(s, actions.get_matter(s, number))

        def status(self, number: str) -> str:
            with session(app.engine) as s:
                status: str = actions.get_matter(s, number).status
                return status

        def department(self, data: st.DataObject, number: str) -> str:
            """Usually one of the matter's own departments, sometimes any other."""
            own = [p.department for p in self.parts(number)]
            return str(data.draw(st.sampled_from(own or OTHERS)))

        def when(self, data: st.DataObject) -> datetime:
            """Now, or (one step in five) a little or a lot earlier: a slow clock, a bad --at."""
            if data.draw(st.integers(0, 4)):
                return self.now
            return self.now - data.draw(
                st.sampled_from([timedelta(seconds=30), timedelta(hours=3), timedelta(days=400)])
            )

        def attempt(self, number: str, action: Any, **kwargs: Any) -> bool:
            """Run an action; a refusal must be clean and leave the matter exactly as it was."""
            before = snapshot(app.engine, number)
            try:
                act(app, action, number=number, **kwargs)
            except REFUSALS as exc:
                clean(exc)
                assert snapshot(app.engine, number) == before, f"refused {action.__name__} wrote"
                return False
            return True

        # --- rules

        @rule(
            target=matters,
            category=st.sampled_from(CATEGORIES),
            people=st.integers(1, 60),
            advance=st.sampled_from(["received", "referred", "acknowledged"]),
        )
        def intake(self, category: str, people: int, advance: str) -> str:
            """A new matter, left received, or referred by the rules, or acknowledged by all."""
            number = register(app, self.now, category=category, people=people)
            self.numbers.append(number)
            if advance != "received":
                act(app, actions.refer_by_rules, number=number, now=self.now)
            if advance == "acknowledged":
                for part in self.parts(number):
                    act(
                        app,
                        actions.acknowledge,
                        number=number,
                        department=part.department,
                        now=self.now,
                    )
            return number

        @rule(number=matters)
        def route(self, number: str) -> None:
            """The intake flow: refer by the routing rules (a no-op once it moved on)."""
            act(app, actions.refer_by_rules, number=number, now=self.now)

        @rule(number=matters, data=st.data())
        def refer(self, number: str, data: st.DataObject) -> None:
            # often the same lead with other co-handlers (a re-route that keeps the lead)
            current = [p.department for p in self.parts(number) if p.role == "lead"]
            lead = data.draw(st.sampled_from(current[-1:] * 3 + OTHERS))
            co = data.draw(st.lists(st.sampled_from(OTHERS), max_size=2))
            was = self.status(number)
            if self.attempt(number, actions.refer, lead=lead, co=co, actor="center", now=self.now):
                # the live lead: an earlier lead's returned part stays in the store beside it
                lead_part = next(
                    p
                    for p in self.parts(number)
                    if p.role == "lead" and p.status in ("referred", "acknowledged", "resolved")
                )
                expected = "in_progress" if lead_part.status == "acknowledged" else "referred"
                assert self.status(number) == expected, (was, self.status(number))

        @rule(number=matters, data=st.data())
        def acknowledge(self, number: str, data: st.DataObject) -> None:
            department = self.department(data, number)
            was = self.status(number)
            done = self.attempt(
                number,
                actions.acknowledge,
                department=department,
                now=self.when(data),
            )
            if done and was == "referred":
                lead = [
                    p for p in self.parts(number) if p.role == "lead" and p.status != "withdrawn"
                ]
                if lead and lead[-1].department == department:
                    assert self.status(number) == "in_progress"

        @rule(number=matters, data=st.data(), note=typed_text)
        def progress(self, number: str, data: st.DataObject, note: str) -> None:
            self.attempt(
                number,
                actions.progress,
                department=self.department(data, number),
                note=note,
                now=self.when(data),
            )

        @rule(number=matters, data=st.data(), note=typed_text)
        def report(self, number: str, data: st.DataObject, note: str) -> None:
            self.attempt(
                number,
                actions.report,
                department=self.department(data, number),
                note=note,
                now=self.when(data),
            )

        @rule(number=matters, data=st.data(), reason=typed_text)
        def return_matter(self, number: str, data: st.DataObject, reason: str) -> None:
            self.attempt(
                number,
                actions.return_matter,
                department=self.department(data, number),
                reason=reason,
                now=self.when(data),
            )

        @rule(number=matters, data=st.data(), outcome=st.sampled_from(OUTCOMES), note=typed_text)
        def resolve(self, number: str, data: st.DataObject, outcome: str, note: str) -> None:
            department = self.department(data, number)
            if self.attempt(
                number,
                actions.resolve,
                department=department,
                outcome=outcome,
                note=note,
                now=self.when(data),
            ):
                assert self.status(number) == "resolved"
                resolved = [p for p in self.parts(number) if p.status == "resolved"]
                assert [(p.department, p.role) for p in resolved] == [(department, "lead")]

        @rule(
            number=matters,
            data=st.data(),
            length=st.sampled_from(["1wd", "5wd", "30d", "2h", "400d"]),
            reason=typed_text,
        )
        def request_extension(
            self, number: str, data: st.DataObject, length: str, reason: str
        ) -> None:
            self.attempt(
                number,
                actions.request_extension,
                department=self.department(data, number),
                length=length,
                reason=reason,
                now=self.when(data),
            )

        @rule(number=matters, data=st.data(), approve=st.booleans(), note=typed_text)
        def decide_extension(
            self, number: str, data: st.DataObject, approve: bool, note: str
        ) -> None:
            self.attempt(
                number,
                actions.decide_extension,
                department=self.department(data, number),
                approve=approve,
                note_text=note,
                now=self.when(data),
            )

        @rule(number=matters, satisfied=st.booleans(), comment=st.none() | typed_text)
        def feedback(self, number: str, satisfied: bool, comment: str | None) -> None:
            if self.attempt(
                number, actions.feedback, satisfied=satisfied, comment=comment, now=self.now
            ):
                assert self.status(number) == ("closed" if satisfied else "in_progress")

        @rule(hours=st.integers(0, 24 * 20))
        def time_passes(self, hours: int) -> None:
            self.now += timedelta(hours=hours)

        @rule()
        def sweep(self) -> None:
            """What the deadline sweep does, without Prefect: every due ladder step, lapsed
            feedback windows closed."""
            with session(app.engine) as s:
                for part_id in actions.due_parts(session=s, now=self.now):
                    actions.escalate(s, app, part_id, self.now)
                lapsed = actions.feedback_overdue(session=s, now=self.now)
            for number in lapsed:
                act(app, actions.close_without_feedback, number=number, now=self.now)

        @rule()
        def deliver(self) -> None:
            """The sample channels point at a local inbox that is not running: every attempt
            fails and is scheduled again (or given up) by the delivery rules."""
            deliver_pending(app, now=self.now)

        @invariant()
        def store_is_consistent(self) -> None:
            invariants.check(app.engine, self.numbers)

    return MatterLife


def test_random_lives_of_matters_keep_the_store_consistent(district: App) -> None:
    run_state_machine_as_test(
        machine_for(district),
        settings=examples(12, stateful_step_count=30),
    )
