"""Refusals as values: a stable code and its parameters; the words come from the catalogue.

Every refusal the store, the inputs or the configuration raises is one of these exceptions with
a `Code` and parameters (matter, department, status, action, field, value, allowed actions,
suggestions…). Nothing reads a refusal's sentence: the CLI, the HTTP API and the pages render
the code in their caller's language with messages.render, and `str(exc)` is the English
sentence, for logs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic_core import ErrorDetails

import messages


class Code(StrEnum):
    """Every refusal's stable code; the catalogue has each in Chinese and English."""

    # a matter and its states
    not_found = "not_found"
    bad_number = "bad_number"
    wrong_status = "wrong_status"
    matter_closed = "matter_closed"
    part_wrong_status = "part_wrong_status"
    acknowledge_first = "acknowledge_first"
    not_assigned = "not_assigned"
    lead_resolves = "lead_resolves"
    only_lead_resolves = "only_lead_resolves"
    co_not_reported = "co_not_reported"
    already_referred = "already_referred"
    lead_and_co = "lead_and_co"
    no_route = "no_route"
    before_registered = "before_registered"
    no_number = "no_number"
    store_refused = "store_refused"
    schema_newer = "schema_newer"
    # extensions
    nothing_to_extend = "nothing_to_extend"
    extension_pending = "extension_pending"
    no_extension_pending = "no_extension_pending"
    extension_too_long = "extension_too_long"
    extensions_used = "extensions_used"
    longer_than_year = "longer_than_year"
    # input fields (a refusal with `fields`, or one field problem)
    invalid_input = "invalid_input"
    required = "required"
    too_long = "too_long"
    too_short = "too_short"
    too_many = "too_many"
    pattern = "pattern"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    text = "text"
    list = "list"
    object = "object"
    json = "json"
    extra = "extra"
    at_least = "at_least"
    at_most = "at_most"
    above = "above"
    below = "below"
    one_of = "one_of"
    datetime = "datetime"
    invalid = "invalid"
    empty = "empty"
    control = "control"
    bad_characters = "bad_characters"
    phone = "phone"
    id_number = "id_number"
    birth_date = "birth_date"
    number_form = "number_form"
    code_form = "code_form"
    duration = "duration"
    duration_zero = "duration_zero"
    # codes and names a person typed
    unknown_department = "unknown_department"
    unknown_category = "unknown_category"
    unknown_area = "unknown_area"
    unknown_status = "unknown_status"
    unknown_colour = "unknown_colour"
    unknown_flag = "unknown_flag"
    unknown_channel = "unknown_channel"
    unknown_outcome = "unknown_outcome"
    unknown_actor = "unknown_actor"
    ambiguous = "ambiguous"
    # the clock
    clock_override_off = "clock_override_off"
    bad_time = "bad_time"
    time_no_zone = "time_no_zone"
    time_out_of_range = "time_out_of_range"
    # statistics
    bad_date = "bad_date"
    period_backwards = "period_backwards"
    bad_grouping = "bad_grouping"
    # tokens
    token_holder = "token_holder"
    no_such_token = "no_such_token"
    token_already_revoked = "token_already_revoked"
    # backup and restore
    backup_exists = "backup_exists"
    backup_missing = "backup_missing"
    backup_broken = "backup_broken"
    backup_unreadable = "backup_unreadable"
    backup_not_whistle = "backup_not_whistle"
    backup_version = "backup_version"
    backup_newer = "backup_newer"
    backup_empty = "backup_empty"
    store_not_empty = "store_not_empty"
    backup_incomplete = "backup_incomplete"
    restore_refused = "restore_refused"
    backup_bad_row = "backup_bad_row"
    backup_unknown_table = "backup_unknown_table"
    # the district configuration
    config_folder_missing = "config_folder_missing"
    config_file_missing = "config_file_missing"
    config_yaml = "config_yaml"
    config_key_twice = "config_key_twice"
    config_not_mapping = "config_not_mapping"
    config_invalid = "config_invalid"
    config_code_twice = "config_code_twice"
    config_env_unset = "config_env_unset"
    config_shared_code = "config_shared_code"
    config_unknown = "config_unknown"
    config_no_unit = "config_no_unit"
    config_catch_all = "config_catch_all"
    config_matches_none = "config_matches_none"
    config_unserved = "config_unserved"
    config_expected_keys = "config_expected_keys"
    config_date_twice = "config_date_twice"
    config_date_both = "config_date_both"
    config_wrong_year = "config_wrong_year"
    # staff accounts and notices (the workbench, `whistle user`, `whistle notices resend`)
    unknown_role = "unknown_role"
    password_length = "password_length"
    account_exists = "account_exists"
    no_account = "no_account"
    account_disabled = "account_disabled"
    no_notice = "no_notice"
    notice_not_dead = "notice_not_dead"
    notice_resent_once = "notice_resent_once"
    notice_erased = "notice_erased"
    config_boundaries = "config_boundaries"
    option_needs = "option_needs"
    year_out_of_range = "year_out_of_range"
    # problems inside one configuration value
    unknown_time_zone = "unknown_time_zone"
    no_start_tier = "no_start_tier"
    ladder_order = "ladder_order"
    colour_durations = "colour_durations"
    colour_windows = "colour_windows"
    duration_list = "duration_list"
    clock_time_only = "clock_time_only"
    retention_period = "retention_period"
    retention_zero = "retention_zero"
    sweep_interval = "sweep_interval"
    # a citizen's feedback link that is not one
    link_invalid = "link_invalid"


@dataclass(frozen=True)
class Issue:
    """What is wrong with one input field: the field, a code and its parameters."""

    field: str
    code: Code
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, language: str = "en", names: messages.Names | None = None) -> str:
        """The problem alone, without the field's name (an API field entry carries that)."""
        return messages.render(self.code, self.params, language, names)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code.value, "params": plain(self.params)}


class Refusal(Exception):
    """Something Whistle will not do, as a code and parameters (base of every refusal)."""

    def __init__(self, code: Code, /, *, fields: Sequence[Issue] = (), **params: Any) -> None:
        super().__init__(code.value)
        self.code, self.params, self.fields = code, dict(params), tuple(fields)

    @property
    def field(self) -> str | None:
        """The input field the refusal is about, if it is about one."""
        if self.fields:
            return self.fields[0].field
        named = self.params.get("field")
        return str(named) if named else None

    def message(self, language: str = "en", names: messages.Names | None = None) -> str:
        """The refusal in `language`; with `names`, department and area codes become names."""
        if self.fields:
            colon = ": " if language == "en" else "："
            parts = [
                f"{field_name(i.field, language)}{colon}{i.message(language, names)}"
                for i in self.fields
            ]
            return ("; " if language == "en" else "；").join(parts)
        return messages.render(self.code, self.params, language, names)

    def as_dict(self, language: str = "zh", names: messages.Names | None = None) -> dict[str, Any]:
        """The refusal for a program: code, parameters, field problems and the sentence."""
        return {
            "refusal": self.code.value,
            "message": self.message(language, names),
            "params": plain(self.params),
            "fields": [i.as_dict() | {"message": i.message(language, names)} for i in self.fields],
        }

    def __str__(self) -> str:
        return self.message("en")

    def __reduce__(self) -> tuple[Any, ...]:
        # Prefect may pickle a task's exception; keyword parameters must survive the trip.
        return (_rebuild, (type(self), self.code, self.params, self.fields))


def _rebuild(
    cls: type[Refusal], code: Code, params: dict[str, Any], fields: tuple[Issue, ...]
) -> Refusal:
    refusal = cls.__new__(cls)
    Exception.__init__(refusal, code.value)
    refusal.code, refusal.params, refusal.fields = code, params, fields
    return refusal


class Refused(Refusal):
    """An action the store did not take; nothing was written (CLI exit 2, API 409/422)."""


class NotFound(Refused):
    """No such matter (or not one the caller may see)."""


class ConfigError(Refusal):
    """A configuration file is missing or wrong; the parameters name file, key and problem."""


class Invalid(Refusal, ValueError):
    """One value is wrong, raised where pydantic expects a ValueError (a validator, a parser):
    pydantic keeps the exception, so its code survives into the field problem."""


def field_name(field: str, language: str) -> str:
    """A field as a refusal names it: 'phone' in English, '联系电话（phone）' in Chinese."""
    named = messages.label("field", field, language)
    return named if language == "en" or named == field else f"{named}（{field}）"


def _scalar(value: Any) -> Any:
    """A value JSON can carry as it is (a non-finite number, such as a typed NaN, as text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, str | int | float | bool) else str(value)


def plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON can carry them: nested problems as dicts, other values as text."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Issue):
            out[key] = value.as_dict()
        elif isinstance(value, Refusal):
            out[key] = {"code": value.code.value, "params": plain(value.params)}
        elif isinstance(value, list | tuple):
            out[key] = [_scalar(v) for v in value]
        else:
            out[key] = None if value is None else _scalar(value)
    return out


# --- pydantic's own errors, as field problems ----------------------------------------------------

_PLAIN: dict[str, Code] = {
    "missing": Code.required,
    "int_parsing": Code.integer,
    "int_type": Code.integer,
    "int_from_float": Code.integer,
    "float_parsing": Code.number,
    "float_type": Code.number,
    "finite_number": Code.number,
    "bool_parsing": Code.boolean,
    "bool_type": Code.boolean,
    "string_type": Code.text,
    "string_unicode": Code.text,
    "list_type": Code.list,
    "dict_type": Code.object,
    "model_type": Code.object,
    "model_attributes_type": Code.object,
    "json_invalid": Code.json,
    "json_type": Code.json,
    "extra_forbidden": Code.extra,
    "datetime_parsing": Code.datetime,
    "datetime_from_date_parsing": Code.datetime,
    "datetime_type": Code.datetime,
}
_BOUNDS: dict[str, tuple[Code, str]] = {
    "greater_than_equal": (Code.at_least, "ge"),
    "less_than_equal": (Code.at_most, "le"),
    "greater_than": (Code.above, "gt"),
    "less_than": (Code.below, "lt"),
}


def issue_of(error: ErrorDetails, field: str) -> Issue:
    """One pydantic error as a field problem, by its error type (never by its words)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    raised = ctx.get("error")
    if isinstance(raised, Refusal):  # one of our validators: its code and parameters
        return Issue(field, raised.code, raised.params)
    if kind in _PLAIN:
        return Issue(field, _PLAIN[kind])
    if kind == "string_pattern_mismatch":
        return Issue(field, Code.pattern, {"pattern": str(ctx.get("pattern", ""))})
    if kind == "string_too_long":
        return Issue(field, Code.too_long, {"max_length": ctx.get("max_length", "?")})
    if kind == "too_long":
        return Issue(field, Code.too_many, {"max_length": ctx.get("max_length", "?")})
    if kind in ("string_too_short", "too_short"):
        if ctx.get("min_length") == 1:
            return Issue(field, Code.empty)
        return Issue(field, Code.too_short, {"min_length": ctx.get("min_length", "?")})
    if kind in _BOUNDS:
        return Issue(field, _BOUNDS[kind][0], {"limit": ctx.get(_BOUNDS[kind][1], "?")})
    if kind in ("enum", "literal_error"):
        return Issue(field, Code.one_of, {"expected": str(ctx.get("expected", ""))})
    detail = str(error["msg"]).removeprefix("Value error, ")
    return Issue(field, Code.invalid, {"detail": detail})


def location(loc: Sequence[int | str]) -> str:
    """A pydantic location as a dotted key: ('flags', 0) → 'flags.0'."""
    return ".".join(str(p) for p in loc) or "input"


__all__ = [
    "Code",
    "ConfigError",
    "Invalid",
    "Issue",
    "NotFound",
    "Refusal",
    "Refused",
    "issue_of",
    "location",
    "plain",
]
