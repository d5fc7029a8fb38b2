// Calling nfl-predictor from TypeScript: types generated from its /openapi.json by
// openapi-typescript, calls made with openapi-fetch (typed paths, parameters and bodies).
//
//   npx openapi-typescript http://localhost:8000/openapi.json -o src/schema.d.ts
//   NFLP_URL=http://localhost:8000 NFLP_API_KEY=... npx tsx src/example.ts
//
// scripts/clients type-checks and runs this file against a live instance (it is the README's
// snippet).
import createClient from "openapi-fetch";
import type { paths } from "./schema";

const client = createClient<paths>({
  baseUrl: process.env.NFLP_URL ?? "http://localhost:8000",
  headers: { "X-API-Key": process.env.NFLP_API_KEY ?? "" },
});

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(what);
}

// The experts: sixteen models (and the market, where games have lines).
const experts = await client.GET("/api/v1/experts");
check(experts.data !== undefined, `experts: ${JSON.stringify(experts.error)}`);
console.log(`${experts.data.total} experts, e.g. ${experts.data.items[0].name}`);
check(experts.data.total >= 16, "sixteen experts at least");

// Forecast a game: every expert's prediction and the learned consensus.
const forecast = await client.POST("/api/v1/games/{id}/predictions", {
  params: { path: { id: "KC_NE_2018_W20" } },
});
check(forecast.data !== undefined, `forecast: ${JSON.stringify(forecast.error)}`);
const consensus = forecast.data.consensus;
console.log(
  `${forecast.data.game.home_team} v ${forecast.data.game.away_team}: home wins ` +
    `${Math.round(consensus.home_win_probability * 100)}% (consensus of ${forecast.data.predictions.length})`,
);

// Why? The consensus's provenance as W3C PROV-JSON (the memories it used, and their weights).
const prov = await client.GET("/api/v1/predictions/{id}/provenance", {
  params: { path: { id: consensus.id }, query: { format: "prov-json" } },
  parseAs: "json",
});
check(prov.response.headers.get("content-type")?.startsWith("application/prov+json") ?? false, "PROV-JSON");
const doc = prov.data as unknown as { entity: Record<string, unknown>; wasDerivedFrom?: Record<string, unknown> };
console.log(`PROV-JSON: ${Object.keys(doc.entity).length} entities, ${Object.keys(doc.wasDerivedFrom ?? {}).length} derivations`);
check(Object.keys(doc.entity).length > 0, "entities");

// Errors are problem+json with a stable code: typed as the operation's error responses.
const missing = await client.GET("/api/v1/games/{id}", { params: { path: { id: "KC_NE_1999_W1" } } });
check(missing.error !== undefined, "an unknown game is an error");
console.log(`an unknown game: ${missing.error.status} ${missing.error.code}: ${missing.error.detail}`);
check(missing.response.status === 404 && missing.error.code === "not_found", "404 not_found");
