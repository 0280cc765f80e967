"""Request bodies in the OpenAPI document for the routes that read them raw.

The OpenAI routes and /v1/feedback read their bodies as bytes (so that what is
forwarded is exactly what the client sent) and check them with the pydantic
models themselves, so FastAPI cannot see those models. `json_body` declares the
model on the route; `with_body_schemas` puts the models' JSON Schemas under
`components/schemas`, where those declarations point. The document then
describes what the routes accept, for readers and for API fuzzers alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is checked against `model`."""
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def with_body_schemas(app: FastAPI, models: Iterable[type[BaseModel]]) -> Callable[[], Any]:
    """An `app.openapi` that adds the JSON Schemas of `models` (and of the models
    they use) to the document FastAPI builds, once."""
    build = app.openapi
    pairs = [(model, "validation") for model in models]

    def openapi() -> Any:
        if app.openapi_schema is None:
            document = build()
            _, definitions = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(definitions.get("$defs", {}))
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
