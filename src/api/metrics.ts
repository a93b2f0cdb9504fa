import { registry } from "../metrics.ts";
import type { Route } from "./http.ts";

/** GET /metrics: Prometheus text exposition of the process registry. */
export function metricsRoute(): Route {
  return {
    method: "GET",
    path: "/metrics",
    async handle() {
      return { status: 200, text: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
