"""Ops routes: the dashboard's snapshot, and the figures a running load test reports."""

from __future__ import annotations

from typing import Annotated, Literal

import pydantic
from aiohttp import web

from livecommerce.observability.overview import OpsOverview
from livecommerce.web import Role, json_response, read_model, require

__all__ = ["routes", "OPS_OVERVIEW", "LoadTestFigures", "LOADTEST_TTL_S"]

OPS_OVERVIEW = web.AppKey("ops_overview", OpsOverview)

#: A running test reports every few seconds; its figures vanish this long after the last report.
LOADTEST_TTL_S = {"running": 30, "done": 3600, "failed": 3600}

routes = web.RouteTableDef()

_Name = Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
_Count = Annotated[int, pydantic.Field(ge=0, le=10**12)]
_Ms = Annotated[float, pydantic.Field(ge=0, le=3_600_000)]


class LoadTestFigures(pydantic.BaseModel):
    """What ``loadtests/run.py`` posts while it runs (locust's aggregate figures)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True, frozen=True)

    run_id: _Name
    scenario: _Name
    state: Literal["running", "done", "failed"]
    users: Annotated[int, pydantic.Field(ge=0, le=10_000_000)]
    rps: Annotated[float, pydantic.Field(ge=0, le=10_000_000)]
    p50_ms: _Ms | None = None
    p99_ms: _Ms | None = None
    requests: _Count
    failures: _Count
    elapsed_s: Annotated[float, pydantic.Field(ge=0, le=86_400 * 7)]


@routes.get("/api/v1/ops/overview")
async def overview(request: web.Request) -> web.Response:
    require(request, Role.OPS)
    return json_response(await request.app[OPS_OVERVIEW].snapshot())


@routes.post("/api/v1/ops/loadtest")
async def report_loadtest(request: web.Request) -> web.Response:
    require(request, Role.OPS)
    figures = await read_model(request, LoadTestFigures, max_bytes=2048)
    body = figures.model_dump()
    await request.app[OPS_OVERVIEW].report_loadtest(body, LOADTEST_TTL_S[figures.state])
    return json_response(body)
