import { DataTypes, type QueryInterface } from "sequelize";
import { DEFAULT_THRESHOLDS } from "../../domain/health.ts";
import { fillHealth } from "../health.ts";

/**
 * The kept health verdict: on each integration its verdict (healthy, failing, stale, overdue, never_ran), why,
 * since when, when time alone can next change it, and the median gap between its last 10 runs; the thresholds
 * the verdicts were computed with (recomputed at start-up when the configured ones differ); the kind of each
 * failure alert (failing or overdue). Every integration is filled from its runs, a thousand per statement.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("integrations", "health", { type: DataTypes.STRING(16), allowNull: true });
  await qi.addColumn("integrations", "health_reason", { type: DataTypes.TEXT, allowNull: true });
  await qi.addColumn("integrations", "health_since", { type: DataTypes.DATE, allowNull: true });
  // A row written without a verdict (an activation, an import) is due at once: the next reader or sweep computes it.
  await qi.addColumn("integrations", "health_due_at", { type: DataTypes.DATE, allowNull: true, defaultValue: new Date(0) });
  await qi.addColumn("integrations", "health_at", { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn("integrations", "median_gap_ms", { type: DataTypes.BIGINT, allowNull: true });
  // Null: the gaps are not counted yet.
  await qi.addColumn("integrations", "gap_runs", { type: DataTypes.INTEGER, allowNull: true });
  await qi.addIndex("integrations", ["health", "status", "activity_at", "id"], { name: "integrations_health_activity" });
  await qi.addIndex("integrations", ["health_due_at"], { name: "integrations_health_due" });
  await qi.addIndex("integrations", ["health_at"], { name: "integrations_health_at" });

  await qi.createTable("health_rules", {
    name: { type: DataTypes.STRING, primaryKey: true },
    thresholds: { type: DataTypes.TEXT, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });

  await qi.addColumn("failure_alerts", "kind", { type: DataTypes.STRING(16), allowNull: false, defaultValue: "failing" });

  const dialect = qi.sequelize.getDialect() === "postgres" ? "postgres" : "sqlite";
  await fillHealth({ sequelize: qi.sequelize, dialect }, new Date(), DEFAULT_THRESHOLDS);
}

/** Drops the columns and the table. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn("failure_alerts", "kind");
  await qi.dropTable("health_rules");
  for (const index of ["integrations_health_activity", "integrations_health_due", "integrations_health_at"]) await qi.removeIndex("integrations", index);
  for (const column of ["health", "health_reason", "health_since", "health_due_at", "health_at", "median_gap_ms", "gap_runs"]) await qi.removeColumn("integrations", column);
}
