"""The OpenAPI document is generated from the serving code, valid, and rendered by a page that needs no network."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate

from tests.api.conftest import Api


def test_the_openapi_document_validates_and_names_every_route(api: Api) -> None:
    response = httpx.get(api.url("/openapi.json"))
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert "/infobases/{infobase}/reset" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer" and schemes["HTTPBasic"]["scheme"] == "basic"
    assert "ErrorBody" in spec["components"]["schemas"]
    for path in ("/infobases/{infobase}/terminals/{number}", "/infobases/{infobase}/cards/{code}"):
        assert path in spec["paths"]
    assert "/infobases/{infobase}/characteristics/{ref}" in spec["paths"]
    upload = spec["paths"]["/infobases/{infobase}/cards.csv"]["post"]["requestBody"]["content"]
    assert list(upload) == ["text/csv"]
    download = spec["paths"]["/infobases/{infobase}/stock.csv"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in download
    tags = {tag for item in spec["paths"].values() for operation in item.values() for tag in operation["tags"]}
    assert {"terminals", "discount cards", "stock", "product kinds and characteristics"} <= tags
    fixture = spec["components"]["schemas"]["Fixture"]["properties"]
    assert {"product_kinds", "terminals", "cards", "stock"} <= set(fixture)


def test_the_docs_page_renders_the_document_offline(api: Api) -> None:
    page = httpx.get(api.url("/docs"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/v1/infobases/{infobase}/reset" in page.text
    assert "<script" not in page.text and "http" not in page.text.split("</style>")[0]
