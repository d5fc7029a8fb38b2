"""Calling nfl-predictor from Python with a client generated from its /openapi.json.

    pip install openapi-python-client
    curl -s http://localhost:8000/openapi.json -o openapi.json
    openapi-python-client generate --path openapi.json --meta setup
    pip install ./nfl-predictor-client
    NFLP_URL=http://localhost:8000 NFLP_API_KEY=... python example.py

scripts/clients runs this file against a live instance (it is the README's snippet).
"""

import json
import os

from nfl_predictor_client import AuthenticatedClient
from nfl_predictor_client.api.experts import list_experts
from nfl_predictor_client.api.games import get_game
from nfl_predictor_client.api.predictions import forecast_game, get_prediction_provenance
from nfl_predictor_client.models import GameForecastResponse, Problem

client = AuthenticatedClient(
    base_url=os.environ.get("NFLP_URL", "http://localhost:8000"),
    token=os.environ["NFLP_API_KEY"],
    auth_header_name="X-API-Key",
    prefix="",
)

# The experts: sixteen models (and the market, where games have lines).
experts = list_experts.sync(client=client)
print(f"{experts.total} experts, e.g. {experts.items[0].name}: {experts.items[0].method}")
assert experts.total >= 16

# Forecast a game: every expert's prediction and the learned consensus.
forecast = forecast_game.sync("KC_NE_2018_W20", client=client)
assert isinstance(forecast, GameForecastResponse), forecast
c = forecast.consensus
print(f"{forecast.game.home_team} v {forecast.game.away_team}: home wins {c.home_win_probability:.0%} (consensus of {len(forecast.predictions)})")

# Why? The provenance graph, typed (the memories each prediction used, with weight and rank)...
graph = get_prediction_provenance.sync(c.id, client=client)
print(f"provenance: {len(graph.nodes)} nodes, {len(graph.edges)} edges")
# ...and as W3C PROV-JSON. The generator types only an operation's first media type (the JSON
# graph), so the PROV forms are read through the same authenticated HTTP client, untyped.
response = client.get_httpx_client().get(
    f"/api/v1/predictions/{c.id}/provenance", params={"format": "prov-json"}
)
assert response.status_code == 200, response.text
assert response.headers["content-type"].startswith("application/prov+json")
prov = json.loads(response.content)
print(f"PROV-JSON: {len(prov['entity'])} entities, {len(prov.get('wasDerivedFrom', {}))} derivations")
assert prov["entity"]

# Errors are problem+json with a stable code.
missing = get_game.sync("KC_NE_1999_W1", client=client)
assert isinstance(missing, Problem), missing
print(f"an unknown game: {missing.status} {missing.code}: {missing.detail}")
assert missing.status == 404 and missing.code == "not_found"
