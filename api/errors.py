"""Errors as callers read them: one shape for /api and /feedback, the Open311 shape under /open311.

/api answers `{"code", "message", "fields": [{"field", "message"}]}`; Open311 clients expect the
GeoReport v2 array `[{"code": 400, "description": "…"}]` (in XML under a `.xml` path), where a
bad key is 403 and any bad input 400.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from pydantic_core import ErrorDetails
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import field_issue, negotiate, say
from api.open311_xml import Format, media_type
from api.open311_xml import errors as open311_errors
from messages import Names
from models.refusals import NotFound, Refusal, Refused, plain

OPEN311 = "/open311/"


class FieldProblem(BaseModel):
    """What is wrong with one input field."""

    field: str = Field(description="the field, header or parameter, e.g. note")
    message: str = Field(description="what is wrong, in the caller's language")


class ApiError(BaseModel):
    """Every refusal of /api and /feedback."""

    code: str = Field(description="a stable code, e.g. not_found, invalid_input, conflict")
    message: str = Field(description="what went wrong, in the caller's language")
    fields: list[FieldProblem] = Field(default=[], description="one entry per bad input field")
    refusal: str | None = Field(
        default=None,
        description="the service's own refusal code, e.g. not_assigned, wrong_status, "
        "acknowledge_first, unknown_department (the same codes the command line gives)",
    )
    params: dict[str, Any] | None = Field(
        default=None,
        description="the refusal's parameters: matter number, department, status, action, "
        "field, value, allowed actions, suggestions…",
    )


class Open311Error(BaseModel):
    """One GeoReport v2 error; responses carry a list of these."""

    code: int = Field(description="the HTTP status, as the spec has it")
    description: str


class Problem(Exception):
    """A refusal already worded for the caller; the handlers render it for the path."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Sequence[FieldProblem] = (),
        headers: dict[str, str] | None = None,
        refusal: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = list(fields), headers
        self.refusal, self.params = refusal, params


def request_language(request: Request) -> str:
    from service.app import get_app

    return negotiate(request.headers.get("accept-language"), get_app().language)


def _clean(text: str) -> str:
    """Messages may echo what was sent; a lone surrogate from a JSON escape cannot be UTF-8."""
    return text.encode("utf-8", "replace").decode("utf-8")


def render(path: str, problem: Problem) -> Response:
    """The problem as the caller's protocol wants it (Open311: in the format of the path's
    extension, XML for `.xml`)."""
    fields = [
        FieldProblem(field=_clean(f.field), message=_clean(f.message)) for f in problem.fields
    ]
    message = _clean(problem.message)
    if path.startswith(OPEN311):
        status = {401: 403, 409: 400, 422: 400}.get(problem.status, problem.status)
        texts = [f"{f.field}: {f.message}" for f in fields] or [message]
        fmt = Format.xml if path.endswith(".xml") else Format.json
        return Response(
            open311_errors(fmt, [(status, text) for text in texts]),
            status_code=status,
            media_type=media_type(fmt),
            headers=problem.headers,
        )
    shown = ApiError(
        code=problem.code,
        message=message,
        fields=fields,
        refusal=problem.refusal,
        params=problem.params,
    )
    return JSONResponse(
        shown.model_dump(exclude_none=True) | {"fields": shown.model_dump()["fields"]},
        status_code=problem.status,
        headers=problem.headers,
    )


def field_problems(fields: Sequence[FieldProblem], lang: str) -> Problem:
    """A 422 naming each bad field (Open311 renders it as 400)."""
    problems = "; ".join(f"{f.field}: {f.message}" for f in fields)
    message = say(lang, "api.invalid_input", problems=problems)
    return Problem(422, "invalid_input", message, fields, refusal="invalid_input")


def invalid(errors: Sequence[ErrorDetails], lang: str) -> Problem:
    """A 422 naming each bad field, worded by each pydantic error's type."""
    issues = [field_issue(e) for e in errors]
    return field_problems(
        [FieldProblem(field=i.field, message=i.message(lang)) for i in issues], lang
    )


def refused(exc: Refusal, lang: str, names: Names | None) -> Problem:
    """A service refusal: 404 for a missing matter, 422 when it is about a field, else 409; the
    refusal's code and parameters go along with the words."""
    message = exc.message(lang, names)
    if isinstance(exc, NotFound):  # the same answer as for a number never given out
        return Problem(404, "not_found", message, refusal="not_found")
    code, params = exc.code.value, plain(exc.params)
    if exc.fields:
        fields = [FieldProblem(field=i.field, message=i.message(lang, names)) for i in exc.fields]
    elif exc.field:
        fields = [FieldProblem(field=exc.field, message=message)]
    else:
        return Problem(409, "conflict", message, refusal=code, params=params)
    problem = field_problems(fields, lang)
    problem.refusal, problem.params = code, params
    return problem


def install(app: object) -> None:
    """Register the handlers that give every error its shape and language."""
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return render(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return render(request.url.path, invalid(exc.errors(), request_language(request)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        lang = request_language(request)
        key = {404: "no_such_path", 405: "method"}.get(exc.status_code)
        message = say(lang, key) if key else str(exc.detail)
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        code = codes.get(exc.status_code, "error")
        return render(
            request.url.path,
            Problem(exc.status_code, code, message, headers=dict(exc.headers or {})),
        )

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        from service.app import get_app

        problem = refused(exc, request_language(request), get_app().config)
        return render(request.url.path, problem)

    @app.exception_handler(OperationalError)
    async def _store_down(request: Request, exc: OperationalError) -> Response:
        message = say(request_language(request), "store_down")
        problem = Problem(503, "store_unavailable", message, headers={"Retry-After": "5"})
        return render(request.url.path, problem)
