"""How codes and times read on a page: names for department, category and area codes, local
times, and "3 h left" / "2 d late" for deadlines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.app import App
from service.notices.outbox import local_time
from web import messages

_ACTORS = {"system": ("系统", "system"), "citizen": ("反映人", "citizen")}


@dataclass(frozen=True)
class Shown:
    """The helpers a template gets, bound to the reader's language and the time of the visit."""

    app: App
    lang: str
    now: datetime

    def when(self, moment: datetime | str | None) -> str:
        if moment is None or moment == "":
            return ""
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return local_time(self.app, value, self.lang)

    def remain(self, moment: datetime | str | None) -> str:
        """Time left to a deadline, or how late it is, in whole minutes, hours or days."""
        if moment is None or moment == "":
            return ""
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        seconds = (value - self.now).total_seconds()
        span = abs(seconds)
        if span < 3600:
            amount = messages.say("minutes", self.lang, n=max(1, int(span // 60)))
        elif span < 2 * 86400:
            amount = messages.say("hours", self.lang, n=int(span // 3600))
        else:
            amount = messages.say("days", self.lang, n=int(span // 86400))
        return messages.say("left" if seconds > 0 else "late", self.lang, time=amount)

    def late(self, moment: datetime | str | None) -> bool:
        if moment is None or moment == "":
            return False
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return value <= self.now

    def dept(self, code: str | None) -> str:
        return self.app.config.department_name(code or "", self.lang) if code else ""

    def who(self, code: str) -> str:
        if code in self.app.config.departments:
            return self.dept(code)
        names = _ACTORS.get(code)
        return (names[1] if self.lang == "en" else names[0]) if names else code

    def category(self, code: str) -> str:
        return self.app.config.category_name(code, self.lang)

    def area(self, code: str) -> str:
        """A village as 'village (town)', a town by its name."""
        try:
            _, _, town, village = self.app.config.area(code)
        except KeyError:
            return code
        town_name = town.name_en if self.lang == "en" and town.name_en else town.name
        if village is None:
            return town_name
        name = village.name_en if self.lang == "en" and village.name_en else village.name
        return f"{name} ({town_name})" if self.lang == "en" else f"{name}（{town_name}）"

    def flag(self, code: str) -> str:
        flag = self.app.config.flags.get(code)
        if flag is None:
            return code
        return flag.name_en or flag.name if self.lang == "en" else flag.name

    def reasons(self, codes: list[str]) -> str:
        """Grading reasons ('people>=5', 'flag:violence') in words."""
        words = []
        for code in codes:
            kind, _, value = code.partition(">=")
            if value and kind in ("people", "visits", "amount"):
                words.append(messages.say(f"reason.{kind}", self.lang, n=value))
            elif code.startswith("flag:"):
                words.append(self.flag(code.removeprefix("flag:")))
            elif code.startswith("category:"):
                words.append(self.category(code.removeprefix("category:")))
            else:
                words.append(code)
        return ("、" if self.lang == "zh" else ", ").join(words)

    def depts(self, codes: list[str]) -> str:
        return ("、" if self.lang == "zh" else ", ").join(self.dept(c) for c in codes)

    def flags(self, codes: list[str]) -> str:
        return ("、" if self.lang == "zh" else ", ").join(self.flag(c) for c in codes)

    def helpers(self) -> dict[str, Callable[..., Any]]:
        return {
            "when": self.when,
            "remain": self.remain,
            "late": self.late,
            "dept": self.dept,
            "who": self.who,
            "category": self.category,
            "area": self.area,
            "flag": self.flag,
            "flags": self.flags,
            "depts": self.depts,
            "reasons": self.reasons,
        }
