"""The Grafana dashboard queries only metrics the router exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from smarterrouter.observability.metrics import Metrics

DASHBOARD = Path(__file__).parents[2] / "grafana" / "smarterrouter.json"
GAUGES = {
    "smarterrouter_circuit_breaker_state",
    "smarterrouter_in_flight_requests",
    "smarterrouter_loaded_model_bytes",
    "smarterrouter_gpu_memory_bytes",
}


def exported() -> set[str]:
    names = set(GAUGES)
    for family in Metrics().registry.collect():
        # Labelled series have no samples until first used: name them from the family.
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
        names |= {family.name + s for s in suffixes.get(family.type, [""])}
    return names


def test_every_panel_queries_an_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"smarterrouter_[a-z_]+", target["expr"])
    }
    assert queried, "the dashboard queries nothing"
    assert queried <= exported(), queried - exported()
