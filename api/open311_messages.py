"""What the Open311 endpoints say beyond api/i18n.py, in Chinese and English, in one place.

Kept apart so a message catalogue can take them over whole; `say311` is `say` for these.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "no_location": (
        "无法确定所在区域：请提供 lat/long、attribute[area]、address_id，或在 address_string "
        "中写明镇街或村社区名称",
        "cannot place the request: send lat/long, attribute[area] or address_id, or name a "
        "town or village in address_string",
    ),
    "no_boundaries": (
        "（本平台未配置区域边界，仅凭 lat/long 无法定位）",
        " (this endpoint has no area boundaries, so lat/long alone cannot place it)",
    ),
    "outside": (
        "坐标（{lat}, {long}）不在{district}范围内：请核对 lat/long（纬度在前，经度在后）",
        "the point ({lat}, {long}) lies outside {district}: check lat and long (latitude "
        "first, longitude second)",
    ),
    "pair": (
        "lat 和 long 须同时提供",
        "lat and long go together: send both or neither",
    ),
    "needs_description": (
        "“{service}”类诉求须写明情况：请提供 description 或 attribute[title]",
        "a '{service}' request must say what happened: send description or attribute[title]",
    ),
    "jurisdiction": (
        "本平台服务的辖区是“{ours}”，不是“{given}”",
        "this endpoint serves the jurisdiction '{ours}', not '{given}'",
    ),
    "window_span": (
        "start_date 与 end_date 之间最多{days}天",
        "start_date and end_date may be at most {days} days apart",
    ),
    "no_token": (
        "没有编号为“{id}”的令牌：本平台所有服务均为实时服务（realtime），提交后直接返回 "
        "service_request_id，不发放令牌",
        "no token '{id}': every service here is realtime, so a submission answers its "
        "service_request_id at once and no tokens are issued",
    ),
    "received_anonymous": (
        "已受理，事项编号{number}（匿名诉求：未留电话，办结后不回访）",
        "received as {number} (anonymous: no phone was left, so nobody will be asked for feedback)",
    ),
    "private_service": ("（诉求不公开）", " (requests are not public)"),
    "closed_anonymous": (
        "已结案（匿名诉求，无需回访）",
        "closed (anonymous: nobody to ask for feedback)",
    ),
    "area_help": (
        "所在镇街或村社区；不填则按 lat/long（区域边界）或 address_string 中的地名确定",
        "town or village; default: found from lat/long (the area boundaries) or a name in "
        "address_string",
    ),
}


def say311(lang: str, key: str, **values: Any) -> str:
    """One Open311 message in the caller's language."""
    zh, en = MESSAGES[key]
    return (en if lang == "en" else zh).format(**values)
