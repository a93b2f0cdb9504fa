import type { Runtime } from "../runtime.ts";
import { activationRoute, deactivationRoute } from "./embed.ts";
import { healthRoute } from "./health.ts";
import type { Route } from "./http.ts";
import { metricsRoute } from "./metrics.ts";
import { openApiRoute } from "./openapi.ts";
import { runsRoute } from "./runs.ts";

/** Every route of the HTTP API: the one place they are wired. */
export function apiRoutes(runtime: Runtime): Route[] {
  return [healthRoute(runtime.db), metricsRoute(), activationRoute(runtime), deactivationRoute(runtime), runsRoute(runtime), openApiRoute()];
}
