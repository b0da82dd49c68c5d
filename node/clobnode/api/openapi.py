"""OpenAPI: the API's OpenAPI 3.1 document, generated from its route table and the pydantic
models of `api/models.py` (JSON Schema from pydantic, in wire form: camelCase keys)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from clobnode.api.models import ErrorResponse

OPENAPI_VERSION = "3.1.0"


@dataclass(frozen=True, slots=True)
class Route:
    """One JSON route: method, path, handler, and the models of its bodies."""

    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    response: type[BaseModel]
    request: type[BaseModel] | None = None
    query: tuple[tuple[str, str], ...] = ()
    errors: tuple[int, ...] = ()
    status: int = 200
    alternatives: tuple[type[BaseModel], ...] = field(default=())


def openapi_document(routes: tuple[Route, ...]) -> dict[str, Any]:
    models: dict[type[BaseModel], Any] = {ErrorResponse: "serialization"}
    for route in routes:
        for model in (route.response, *route.alternatives):
            models.setdefault(model, "serialization")
        if route.request is not None:
            models[route.request] = "validation"
    _, schemas = models_json_schema(list(models.items()), by_alias=True, ref_template="#/components/schemas/{model}")

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        body = ref(route.response) if not route.alternatives else {"oneOf": [ref(route.response), *map(ref, route.alternatives)]}
        responses: dict[str, Any] = {str(route.status): {"description": "OK", "content": {"application/json": {"schema": body}}}}
        for code in route.errors:
            responses[str(code)] = {"description": "refused", "content": {"application/json": {"schema": ref(ErrorResponse)}}}
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in _path_parameters(route.path)]
        parameters += [{"name": name, "in": "query", "required": False, "description": what, "schema": {"type": "string"}} for name, what in route.query]
        operation: dict[str, Any] = {"summary": route.summary, "responses": responses}
        if parameters:
            operation["parameters"] = parameters
        if route.request is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(route.request)}}}
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "clobnode", "version": "1", "description": "A clobnode's REST API; the market-data WebSocket is /ws (docs/API.md)."},
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {})},
    }


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
