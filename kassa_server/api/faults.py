"""``/faults``: fault and latency rules the SOAP edge injects (kinds: ``GET /faults/kinds``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from kassa_server.admin import faults
from kassa_server.api.auth import Principal, principal
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import NOT_FOUND, ApiError
from kassa_server.models import FaultRule

router = APIRouter(tags=["faults"])


class FaultIn(BaseModel):
    kind: str = Field(description="One of GET /faults/kinds")
    infobase: str | None = Field(None, description="Empty: every infobase (token holders only)")
    service: str | None = Field(None, description="Exchange_2_0_1_6, EnterpriseDataExchange_1_0_1_1, …")
    operation: str | None = Field(None, description="A SOAP operation, e.g. UploadData, GetDataPart")
    device: str | None = Field(None, description="The node code (factory number) the request names")
    times: int | None = Field(None, ge=1, description="Fire this many times; omitted: always")
    probability: float = Field(1.0, gt=0, le=1)
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's parameters")


class FaultOut(BaseModel):
    id: int
    kind: str
    infobase: str
    service: str
    operation: str
    device: str
    remaining: int | None = Field(description="Firings left; null: always")
    probability: float
    fired: int
    params: dict[str, Any]
    created_at: dt.datetime


class KindOut(BaseModel):
    kind: str
    description: str
    params: dict[str, str]
    operations: list[str]


def fault_out(rule: FaultRule) -> FaultOut:
    return FaultOut(
        id=rule.id,
        kind=rule.kind,
        infobase=rule.infobase,
        service=rule.service,
        operation=rule.operation,
        device=rule.device,
        remaining=rule.remaining,
        probability=rule.probability,
        fired=rule.fired,
        params=faults.rule_params(rule),
        created_at=rule.created_at,
    )


def _scope(who: Principal, infobase: str | None) -> str | None:
    if who.infobase is not None:
        raise ApiError(403, "forbidden", "fault rules need a bearer token")
    return infobase


@router.get("/faults/kinds", response_model=list[KindOut])
def kinds(who: Principal = Depends(principal)) -> list[KindOut]:
    return [
        KindOut(kind=name, description=k.description, params=k.params, operations=list(k.operations))
        for name, k in faults.KINDS.items()
    ]


@router.get("/faults", response_model=list[FaultOut])
def list_all(
    infobase: str | None = None, who: Principal = Depends(principal), context: ApiContext = Depends(api_context)
) -> list[FaultOut]:
    with context.transaction() as session:
        return [fault_out(r) for r in faults.list_faults(session, _scope(who, infobase))]


@router.post("/faults", status_code=201, response_model=FaultOut)
def add(body: FaultIn, who: Principal = Depends(principal), context: ApiContext = Depends(api_context)) -> FaultOut:
    """Add a rule; it applies to the next matching call."""
    data = faults.FaultInput(
        kind=body.kind,
        infobase=_scope(who, body.infobase) or "",
        service=body.service or "",
        operation=body.operation or "",
        device=body.device or "",
        times=body.times,
        probability=body.probability,
        params=body.params,
    )
    with context.transaction() as session:
        out = fault_out(faults.add_fault(session, data))
    context.on_faults_changed()
    return out


@router.get("/faults/{rule_id}", response_model=FaultOut, responses=NOT_FOUND)
def get_one(rule_id: int, who: Principal = Depends(principal), context: ApiContext = Depends(api_context)) -> FaultOut:
    _scope(who, None)
    with context.transaction() as session:
        return fault_out(faults.get_fault(session, rule_id))


@router.delete("/faults/{rule_id}", status_code=204, responses=NOT_FOUND)
def delete(rule_id: int, who: Principal = Depends(principal), context: ApiContext = Depends(api_context)) -> Response:
    _scope(who, None)
    with context.transaction() as session:
        faults.delete_fault(session, rule_id)
    return Response(status_code=204)


@router.delete("/faults", status_code=204)
def clear(
    infobase: str | None = None, who: Principal = Depends(principal), context: ApiContext = Depends(api_context)
) -> Response:
    """Delete every rule, or those of one infobase."""
    with context.transaction() as session:
        faults.clear_faults(session, _scope(who, infobase))
    return Response(status_code=204)
