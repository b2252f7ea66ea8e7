"""``/infobases``: create, list, get, delete and reset published infobases."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from kassa_server.admin import fixtures
from kassa_server.admin.fixture_schema import Fixture
from kassa_server.admin.infobases import get_infobase, list_infobases
from kassa_server.api.auth import Principal, principal
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import CONFLICT, NOT_FOUND, ApiError
from kassa_server.models import Infobase

router = APIRouter(tags=["infobases"])


class InfobaseIn(BaseModel):
    name: str = Field(description="Publication name, case-sensitive: the SOAP URL becomes /<name>/ws/<Service>")
    title: str = ""
    public_url: str | None = Field(None, description="«Адрес в интернете», e.g. https://host/<name> (for QR codes)")
    fixture: str | Fixture = Field(
        "empty", description="What it starts with: `empty`, `demo` (the demo shop) or a fixture body"
    )


class ResetIn(BaseModel):
    fixture: str | Fixture = Field("empty", description="`empty`, `demo` or a fixture body")


class InfobaseOut(BaseModel):
    name: str
    title: str
    public_url: str | None
    node_code: str = Field(description="The server's own exchange node code in this infobase")
    soap_base: str = Field(description="Path of its SOAP services: /<name>/ws/")


def infobase_out(infobase: Infobase) -> InfobaseOut:
    return InfobaseOut(
        name=infobase.name,
        title=infobase.title,
        public_url=infobase.public_url,
        node_code=infobase.node_code,
        soap_base=f"/{infobase.name}/ws/",
    )


def token_only(who: Principal = Depends(principal)) -> Principal:
    if who.infobase is not None:
        raise ApiError(403, "forbidden", "an infobase administrator may only manage that infobase")
    return who


def manages(infobase: str, who: Principal = Depends(principal)) -> str:
    """The ``{infobase}`` path parameter, once the caller is allowed to manage it."""
    if not who.may_manage(infobase):
        raise ApiError(403, "forbidden", f"these credentials may not manage infobase {infobase!r}")
    return infobase


@router.get("/infobases", response_model=list[InfobaseOut], dependencies=[Depends(token_only)])
def list_all(context: ApiContext = Depends(api_context)) -> list[InfobaseOut]:
    """Every published infobase."""
    with context.transaction() as session:
        return [infobase_out(i) for i in list_infobases(session)]


@router.post(
    "/infobases", status_code=201, response_model=InfobaseOut, responses=CONFLICT, dependencies=[Depends(token_only)]
)
def create(body: InfobaseIn, context: ApiContext = Depends(api_context)) -> InfobaseOut:
    """Create an infobase holding a fixture."""
    with context.transaction() as session:
        infobase = fixtures.create_from_fixture(
            session, body.name, body.fixture, title=body.title, public_url=body.public_url
        )
        out = infobase_out(infobase)
    context.on_infobases_changed()
    context.on_faults_changed()
    return out


@router.get("/infobases/{infobase}", response_model=InfobaseOut, responses=NOT_FOUND)
def get_one(infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> InfobaseOut:
    with context.transaction() as session:
        return infobase_out(get_infobase(session, infobase))


@router.delete("/infobases/{infobase}", status_code=204, responses=NOT_FOUND, dependencies=[Depends(token_only)])
def delete(infobase: str, context: ApiContext = Depends(api_context)) -> Response:
    """Delete an infobase with everything in it, its call journal and its fault rules."""
    with context.transaction() as session:
        fixtures.delete_infobase(session, infobase)
    context.on_infobases_changed()
    return Response(status_code=204)


@router.post("/infobases/{infobase}/reset", response_model=InfobaseOut, responses=NOT_FOUND)
def reset(
    body: ResetIn | None = None, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> InfobaseOut:
    """Back to a fixture in one call: its objects, journal and fault rules go; its name and node code stay."""
    with context.transaction() as session:
        out = infobase_out(fixtures.reset_infobase(session, infobase, (body or ResetIn(fixture="empty")).fixture))
    context.on_infobases_changed()
    context.on_faults_changed()
    return out


@router.post("/infobases/{infobase}/fixture", response_model=InfobaseOut, responses=NOT_FOUND)
def load(body: Fixture, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> InfobaseOut:
    """Add a fixture's objects to the infobase as it is (its ``base`` is ignored); all or nothing."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        fixtures.load_fixture(session, row, body)
        out = infobase_out(row)
    context.on_faults_changed()
    return out
