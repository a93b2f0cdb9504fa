import { DataTypes, type QueryInterface } from "sequelize";
import { fillRunDays } from "../run-days.ts";

/**
 * The per-day roll-up of flow runs (run_days): per integration and UTC day (`2026-11-20`), its runs and failed
 * runs, filled from the stored runs in one statement. The housekeeping scan sums it instead of counting runs.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("run_days", {
    integration_id: { type: DataTypes.STRING, primaryKey: true, allowNull: false },
    day: { type: DataTypes.STRING(10), primaryKey: true, allowNull: false },
    runs: { type: DataTypes.INTEGER, allowNull: false },
    errors: { type: DataTypes.INTEGER, allowNull: false },
  });
  const dialect = qi.sequelize.getDialect() === "postgres" ? "postgres" : "sqlite";
  await fillRunDays({ sequelize: qi.sequelize, dialect });
}

/** Drops the roll-up. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("run_days");
}
