import { ping, type Database } from "../data/database.ts";
import type { Route } from "./http.ts";

/** How long the database may take to answer before the process counts as unhealthy. */
const HEALTH_TIMEOUT_MS = 2_000;

/** GET /healthz: 200 when the database answers within HEALTH_TIMEOUT_MS, 503 otherwise (a load balancer then drains the process). */
export function healthRoute(db: Database, timeoutMs = HEALTH_TIMEOUT_MS): Route {
  return {
    method: "GET",
    path: "/healthz",
    async handle() {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ping(db),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("the database did not answer in time")), timeoutMs))),
        ]);
        return { status: 200, body: { status: "ok", database: "ok" } };
      } catch {
        return { status: 503, body: { status: "unavailable", database: "unreachable" } };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
