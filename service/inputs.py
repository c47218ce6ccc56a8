"""Input models at the edge: every interface validates here before the store is touched."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from messages import label
from messages.labels import LABELS
from models.refusals import Code, Invalid, Issue, Refused, issue_of, location

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[0-9]{7,8}$")  # area codes never start 00
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_DESCRIPTION = 20_000
M = TypeVar("M", bound=BaseModel)


class Outcome(StrEnum):
    mediated = "mediated"
    handled = "handled"
    explained = "explained"
    litigation = "litigation"
    unresolvable = "unresolvable"


OUTCOME_LABELS: dict[str, tuple[str, str]] = LABELS["outcome"]  # the catalogue's, by code


def outcome_label(outcome: str, language: str = "zh") -> str:
    return label("outcome", outcome, language)


def id_number_valid(value: str) -> bool:
    """Check a mainland resident ID number's form and its ISO 7064 check character."""
    if not ID_NUMBER.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def birth_date_valid(value: str) -> bool:
    """Digits 7–14 of a resident ID number are the holder's birth date (YYYYMMDD)."""
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return born.year >= 1880


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(Code.empty)
    if _CONTROL.search(value):
        raise Invalid(Code.control)
    return value


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _phone_number(value: str) -> str:
    # Full-width digits from a Chinese input method become ASCII before checking.
    value = unicodedata.normalize("NFKC", value).replace(" ", "")
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        raise Invalid(Code.phone, value=value[:20])
    return value


class IntakeRequest(_Input):
    """What a clerk registers; codes are checked against the district configuration later."""

    category: Annotated[str, Field(max_length=40)]
    title: Annotated[str, Field(max_length=200)]
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)]
    area: Annotated[str, Field(max_length=100)]
    name: Annotated[str, Field(max_length=100)]
    phone: str
    id_number: str | None = None
    people: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    flags: list[str] = []
    # yuan; the store's column is a 32-bit integer on PostgreSQL
    amount: Annotated[int, Field(ge=0, le=2_000_000_000)] = 0
    visits: Annotated[int, Field(ge=0, le=10_000)] = 0
    channel: Annotated[str, Field(max_length=20)] = "walk_in"
    # Where an Open311 app placed it (WGS 84); kept on the matter, not in its text.
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    long: Annotated[float, Field(ge=-180, le=180)] | None = None

    @property
    def anonymous(self) -> bool:
        """匿名: no phone, so nobody can be asked for feedback."""
        return not self.phone

    @field_validator("title", "description", "name", "category", "area", "channel")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        return _text(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _phone_number(value)

    @field_validator("id_number")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = unicodedata.normalize("NFKC", value).strip().upper()
        if not id_number_valid(value):
            raise Invalid(Code.id_number)
        if not birth_date_valid(value):
            raise Invalid(Code.birth_date, value=value[6:14])
        return value


class OpenIntake(IntakeRequest):
    """An intake from Open311, where name and phone are optional (GeoReport v2): a report
    without a phone is anonymous (匿名); a name given without one is kept."""

    name: Annotated[str, Field(max_length=100)] = ""
    phone: str = ""

    @field_validator("title", "description", "category", "area", "channel")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        return _text(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise Invalid(Code.control)
        return value.strip()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _phone_number(value) if value.strip() else ""


class Note(_Input):
    """Free text a department or the center writes (progress, report, resolution note)."""

    text: Annotated[str, Field(max_length=MAX_DESCRIPTION)]

    @field_validator("text")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        return _text(value)


def note(value: str | None, field: str) -> str:
    """Check one free-text field (note, reason, comment) and name it in the refusal."""
    try:
        return Note.model_validate({"text": value or ""}).text
    except ValidationError as exc:
        raise Refused(Code.invalid_input, fields=[issue_of(exc.errors()[0], field)]) from None


def problems(exc: ValidationError) -> list[Issue]:
    """Each field problem of a failed validation, by code (never by pydantic's words)."""
    return [issue_of(error, location(error["loc"])) for error in exc.errors()]


def validated(model: type[M], **values: object) -> M:
    """Build an input model or raise Refused naming each field and what is wrong with it."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise Refused(Code.invalid_input, fields=problems(exc)) from None
