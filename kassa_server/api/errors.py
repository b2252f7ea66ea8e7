"""The one JSON error shape of the control API and the map from exceptions to it.

Every error answer is ``{"error": {"code": ..., "message": ..., "field": ...}}`` with the HTTP status as below.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from kassa_server.errors import AlreadyExistsError, CatalogImportError, ConfigError, KassaError, NotFoundError


class ErrorDetail(BaseModel):
    code: str
    """A stable machine-readable word: unauthorized, forbidden, not_found, conflict, invalid, api_off, timeout,
    too_large."""
    message: str
    field: str | None = None
    """The request field at fault, when one is."""


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """Raised by the API's own code for a condition with no use-case exception (401, 403, a timeout)."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No or wrong credentials"},
    403: {"model": ErrorBody, "description": "These credentials may not do this"},
    422: {"model": ErrorBody, "description": "The request is invalid"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such object"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "It exists already"}}

_STATUS_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict"}


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _kassa_error(exc: KassaError) -> JSONResponse:
    field = getattr(exc, "field", None)
    if isinstance(exc, NotFoundError):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, AlreadyExistsError):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, CatalogImportError):
        return error_response(422, "invalid", str(exc), field=f"line {exc.line}")
    if isinstance(exc, ConfigError) or field is not None or type(exc).__name__ == "ValidationError":
        return error_response(422, "invalid", str(exc), field=field)
    return error_response(400, "error", str(exc))


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    async def kassa_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KassaError)
        return _kassa_error(exc)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
        message = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors)
        return error_response(422, "invalid", message, field=".".join(location) or None)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(KassaError, kassa_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
