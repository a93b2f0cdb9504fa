import type { Runtime } from "../runtime.ts";
import { healthRoute } from "./health.ts";
import type { Route } from "./http.ts";
import { metricsRoute } from "./metrics.ts";

/** Every route of the HTTP API: the one place they are wired. */
export function apiRoutes(runtime: Runtime): Route[] {
  return [healthRoute(runtime.db), metricsRoute()];
}
