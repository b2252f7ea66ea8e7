"""``/api/v1/docs``: the OpenAPI document rendered as one server-side HTML page (no scripts, no CDN: works offline)."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:62em;padding:0 1em;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2em}
.op{border:1px solid #ddd;border-radius:6px;margin:.8em 0;padding:.4em .8em}
.m{display:inline-block;min-width:4.5em;font-weight:bold;font-family:monospace}
.get{color:#0a6}.post{color:#06c}.put,.patch{color:#b70}.delete{color:#c22}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f6f6;padding:.5em;overflow:auto}
table{border-collapse:collapse}td{padding:.1em .6em;vertical-align:top}
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    spec: dict[str, Any] = request.app.openapi()
    return HTMLResponse(render(spec, str(request.scope.get("root_path", ""))))


def render(spec: dict[str, Any], prefix: str) -> str:
    esc = html.escape
    info = spec.get("info", {})
    parts = [
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{esc(info.get('title', ''))}</title>",
        f"<style>{_STYLE}</style><h1>{esc(info.get('title', ''))} <small>{esc(info.get('version', ''))}</small></h1>",
        f"<p>{esc(info.get('description', ''))}</p>",
        f'<p>Machine-readable: <a href="{esc(prefix)}/openapi.json">openapi.json</a></p>',
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((method, path, op))
    for tag, ops in by_tag.items():
        parts.append(f"<h2>{esc(tag)}</h2>")
        for method, path, op in ops:
            parts.append(f'<div class=op><span class="m {esc(method)}">{esc(method.upper())}</span>')
            parts.append(f"<code>{esc(prefix + path)}</code> — {esc(op.get('summary', ''))}")
            if op.get("description"):
                parts.append(f"<p>{esc(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                rows = "".join(
                    f"<tr><td><code>{esc(p['name'])}</code></td><td>{esc(p['in'])}</td>"
                    f"<td>{esc(p.get('description', ''))}</td></tr>"
                    for p in params
                )
                parts.append(f"<table>{rows}</table>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                parts.append(f"<p>Body: <code>{esc(_ref(body))}</code></p>")
            answers = ", ".join(f"{esc(code)} {esc(r.get('description', ''))}" for code, r in op["responses"].items())
            parts.append(f"<p><small>{answers}</small></p></div>")
    parts.append("<h2>Schemas</h2>")
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        parts.append(f'<h3 id="{esc(name)}">{esc(name)}</h3><pre>{esc(json.dumps(schema, indent=1))}</pre>')
    return "".join(parts)


def _ref(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if ref:
        return str(ref).rsplit("/", 1)[-1]
    return json.dumps(schema)
