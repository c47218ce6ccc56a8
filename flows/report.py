"""The scheduled statistics report: the three rates and the center's figures, for supervisors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from prefect import flow

from service.app import get_app
from tasks.report import count_and_render, publish_statistics, write_report


@flow(name="statistics report")
def statistics_report(
    now: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
    language: Literal["zh", "en"] | None = None,
) -> dict[str, Any]:
    """统计报表：三率、分类数量、办理用时、逐月工作量（默认本年至今），发布并写成 HTML 文件。"""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    app = get_app()
    lang: Literal["zh", "en"] = language or ("en" if app.language == "en" else "zh")
    last, markdown, html = count_and_render(moment, start, end, lang)
    title = "统计报表，截至" if lang == "zh" else "statistics as of"
    local = moment.astimezone(app.calendar.zone).strftime("%Y-%m-%d %H:%M")
    key = publish_statistics(markdown, f"{title} {local}")
    return {"artifact": key, "path": write_report(html, last, lang), "last": last}
