import { QueryTypes, type Transaction } from "sequelize";
import { runErrorSignature } from "../domain/error-signature.ts";
import type { Database } from "./database.ts";
import { jsonRows } from "./json-rows.ts";

/** An integration's latest run as recordRuns holds it, before and after a batch. */
interface LatestRunError {
  id: string;
  latestRunStatus: string | null;
  latestRunError: string | null;
}

/**
 * Keeps integrations.latest_error_signature in step with their latest run, in the write path's transaction:
 * the signature of its error when it failed, null otherwise. Only integrations whose latest status or error
 * changed are written, with one statement.
 */
export async function keepErrorSignatures(db: Database, after: Iterable<LatestRunError>, before: Map<string, LatestRunError>, transaction: Transaction): Promise<void> {
  const changed: Array<[string, string | null]> = [];
  for (const state of after) {
    const old = before.get(state.id);
    if (old && old.latestRunStatus === state.latestRunStatus && old.latestRunError === state.latestRunError) continue;
    changed.push([state.id, runErrorSignature(state.latestRunStatus, state.latestRunError)]);
  }
  if (changed.length === 0) return;
  const sig = jsonRows(db, changed, [{ name: "id" }, { name: "signature" }]);
  await db.sequelize.query(
    `WITH sig AS ${sig.sql}
     UPDATE integrations SET latest_error_signature = sig.signature FROM sig WHERE integrations.id = sig.id`,
    { type: QueryTypes.UPDATE, transaction, bind: sig.bind },
  );
}
