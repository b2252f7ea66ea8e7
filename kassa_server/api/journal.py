"""``/infobases/{infobase}/journal|calls|wait``: what the devices called, counted, and waiting until they did.

``wait`` blocks until a condition holds or its timeout passes (then 408 with code ``timeout``), checking the database
every ``POLL_SECONDS``; it holds no thread while it waits.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from kassa_server.admin import verification
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import NOT_FOUND, ApiError, ErrorBody
from kassa_server.api.infobases import manages

router = APIRouter(tags=["journal and verification"])

POLL_SECONDS = 0.05
MAX_WAIT_SECONDS = 300.0


class JournalEntryOut(BaseModel):
    id: int
    at: dt.datetime
    login: str
    service: str
    operation: str
    device: str = Field(description="The node code the call named (the device's factory number)")
    soap_version: str
    http_status: int
    outcome: str = Field(description="ok, soft_error, fault, rejected, …")
    message: str
    duration_ms: int
    injected_fault: str = Field(description="The kind of fault a fault rule injected into this call; empty if none")
    request: str | None = None
    response: str | None = None


class ObjectOut(BaseModel):
    line: int | None
    type: str = Field(description="The object's type as the format names it, e.g. Документ.ЧекККМ")
    ref: str | None
    key: str = Field(description="Its key properties in one line")
    rows: dict[str, int] = Field(description="Rows per table")


class ProblemOut(BaseModel):
    line: int | None
    object_type: str
    ref: str | None
    path: str
    reason: str


class MessageOut(BaseModel):
    side: Literal["request", "response"] = Field(description="request: the device sent it; response: the server")
    header: list[tuple[str, str]]
    objects: list[ObjectOut]
    counts: dict[str, int] = Field(description="Objects per type")
    problems: list[ProblemOut] = Field(description="Objects that do not match the format's schema, and why")


class CallCounts(BaseModel):
    count: int = Field(description="Calls matching every filter given")
    by_operation: dict[str, int] = Field(description="Calls per operation (only the device filter applies)")


class WaitIn(BaseModel):
    until: Literal["calls", "receipts", "shifts", "cash_operations", "acknowledged", "received"] = Field(
        description="calls: journal entries matching operation/device/service ≥ count; receipts, shifts, "
        "cash_operations: documents of the device (or all) ≥ count; acknowledged: the device acknowledged our "
        "message number ≥ count; received: we accepted the device's message number ≥ count"
    )
    count: int = Field(1, ge=0)
    device: str | None = Field(None, description="Factory number (node code)")
    operation: str | None = None
    service: str | None = None
    timeout: float = Field(10.0, gt=0, le=MAX_WAIT_SECONDS, description="Seconds")


class WaitOut(BaseModel):
    value: int = Field(description="The measured value when the condition held")
    waited_ms: int


@router.get("/infobases/{infobase}/journal", response_model=list[JournalEntryOut])
def journal(
    operation: str | None = None,
    device: str | None = None,
    after_id: int = Query(0, description="Only entries after this id (for paging or following)"),
    limit: int = Query(100, ge=1, le=1000),
    bodies: bool = Query(False, description="Include the request and response bodies (clipped)"),
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> list[JournalEntryOut]:
    """The SOAP calls made to this infobase, oldest first."""
    with context.transaction() as session:
        rows = verification.journal_entries(
            session, infobase, operation=operation, device=device, after_id=after_id, limit=limit
        )
        return [
            JournalEntryOut(
                id=row.id,
                at=row.at,
                login=row.login,
                service=row.service,
                operation=row.operation,
                device=row.node_code,
                soap_version=row.soap_version,
                http_status=row.http_status,
                outcome=row.outcome,
                message=row.message,
                duration_ms=row.duration_ms,
                injected_fault=row.injected_fault,
                request=row.request_body if bodies else None,
                response=row.response_body if bodies else None,
            )
            for row in rows
        ]


@router.get("/infobases/{infobase}/journal/{entry_id}/messages", response_model=list[MessageOut], responses=NOT_FOUND)
def messages(
    entry_id: int, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[MessageOut]:
    """The EnterpriseData messages a journaled call carried (ZIPs in its bodies, complete and within the journal's
    body limit), decoded object by object, with the objects that break the schema and why."""
    with context.transaction() as session:
        decoded = verification.journal_messages(session, infobase, entry_id)
    return [
        MessageOut(
            side="request" if m.side == "request" else "response",
            header=m.header,
            objects=[ObjectOut(line=o.line, type=o.type_name, ref=o.ref, key=o.key, rows=o.rows) for o in m.objects],
            counts=m.counts,
            problems=[
                ProblemOut(line=p.line, object_type=p.object_type, ref=p.ref, path=p.path, reason=p.reason)
                for p in m.problems
            ],
        )
        for m in decoded
    ]


@router.get("/infobases/{infobase}/calls", response_model=CallCounts)
def calls(
    operation: str | None = None,
    device: str | None = None,
    service: str | None = None,
    outcome: str | None = None,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> CallCounts:
    """How many calls were made, as WireMock's verify counts them."""
    with context.transaction() as session:
        return CallCounts(
            count=verification.count_calls(
                session, infobase, operation=operation, device=device, service=service, outcome=outcome
            ),
            by_operation=verification.calls_by_operation(session, infobase, device=device),
        )


@router.post(
    "/infobases/{infobase}/wait",
    response_model=WaitOut,
    responses={408: {"model": ErrorBody, "description": "The condition did not hold in time"}, **NOT_FOUND},
)
async def wait(body: WaitIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> WaitOut:
    """Block until the condition holds (200) or the timeout passes (408)."""
    started = time.monotonic()
    deadline = started + body.timeout
    while True:
        value = await anyio.to_thread.run_sync(_measure, context, infobase, body)
        if value >= body.count:
            return WaitOut(value=value, waited_ms=int((time.monotonic() - started) * 1000))
        if time.monotonic() >= deadline:
            raise ApiError(
                408, "timeout", f"{body.until} is {value} after {body.timeout:g} s, expected at least {body.count}"
            )
        await anyio.sleep(POLL_SECONDS)


def _measure(context: ApiContext, infobase: str, body: WaitIn) -> int:
    with context.transaction() as session:
        if body.until == "calls":
            return verification.count_calls(
                session, infobase, operation=body.operation, device=body.device, service=body.service
            )
        row = get_infobase(session, infobase)
        if body.until in ("acknowledged", "received"):
            if body.device is None:
                raise ApiError(422, "invalid", f"until={body.until} needs a device")
            if body.until == "acknowledged":
                return verification.acknowledged_no(session, row, body.device)
            return verification.received_no(session, row, body.device)
        return verification.count_documents(session, row, body.until, device=body.device)
