import type { Database } from "../data/database.ts";
import type { Route } from "./http.ts";

/** GET /healthz: 200 when the database answers, 503 otherwise. */
export function healthRoute(db: Database): Route {
  return {
    method: "GET",
    path: "/healthz",
    async handle() {
      try {
        await db.sequelize.query("SELECT 1");
        return { status: 200, body: { status: "ok", database: "ok" } };
      } catch {
        return { status: 503, body: { status: "unavailable", database: "unreachable" } };
      }
    },
  };
}
