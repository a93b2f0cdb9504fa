import { DataTypes, QueryTypes, type QueryInterface } from "sequelize";
import { runErrorSignature } from "../../domain/error-signature.ts";

/** Integrations whose signature the migration computes per statement. */
const FILL_BATCH = 1000;

/**
 * Incidents: the latest error signature kept on each integration (filled here from the latest run's error),
 * the incidents table (one open incident per Embed Flow and signature) and its members.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("integrations", "latest_error_signature", { type: DataTypes.TEXT, allowNull: true });
  // Only failing integrations carry a signature: the partial index holds the few the incident check reads.
  await qi.sequelize.query("CREATE INDEX integrations_error_signature ON integrations (latest_error_signature, flow_id) WHERE latest_error_signature IS NOT NULL");

  await qi.createTable("incidents", {
    id: { type: DataTypes.STRING, primaryKey: true },
    flow_id: { type: DataTypes.STRING, allowNull: false },
    signature: { type: DataTypes.TEXT, allowNull: false },
    /** One real error of a member, shown beside the signature. */
    sample_error: { type: DataTypes.TEXT, allowNull: true },
    state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "open" },
    /** The earliest failing_since of its members. */
    since: { type: DataTypes.DATE, allowNull: false },
    opened_at: { type: DataTypes.DATE, allowNull: false },
    resolved_at: { type: DataTypes.DATE, allowNull: true },
    channel: { type: DataTypes.STRING, allowNull: true },
    ts: { type: DataTypes.STRING, allowNull: true },
    /** What the posted message shows, so it is updated only when that changes. */
    shown: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.sequelize.query("CREATE UNIQUE INDEX incidents_open_flow_signature ON incidents (flow_id, signature) WHERE state = 'open'");
  await qi.addIndex("incidents", ["state"], { name: "incidents_state" });

  await qi.createTable("incident_members", {
    incident_id: { type: DataTypes.STRING, primaryKey: true },
    integration_id: { type: DataTypes.STRING, primaryKey: true },
    failing_since: { type: DataTypes.DATE, allowNull: true },
    joined_at: { type: DataTypes.DATE, allowNull: false },
    /** When it stopped failing with the incident's signature; null while it still does. */
    left_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex("incident_members", ["integration_id"], { name: "incident_members_integration" });

  // The signatures of the integrations whose latest run failed, from the error kept on each row.
  for (let after = ""; ; ) {
    const rows = await qi.sequelize.query<{ id: string; latest_run_error: string | null }>(
      `SELECT id, latest_run_error FROM integrations WHERE latest_run_status = 'error' AND id > :after ORDER BY id LIMIT ${FILL_BATCH}`,
      { replacements: { after }, type: QueryTypes.SELECT },
    );
    if (rows.length === 0) break;
    const values = rows.map((row) => `(${qi.sequelize.escape(row.id)}, ${qi.sequelize.escape(runErrorSignature("error", row.latest_run_error) as string)})`);
    await qi.sequelize.query(
      `WITH sig (id, signature) AS (VALUES ${values.join(", ")})
       UPDATE integrations SET latest_error_signature = sig.signature FROM sig WHERE integrations.id = sig.id`,
    );
    after = rows[rows.length - 1]!.id;
  }
}

/** Drops the tables and the column. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("incident_members");
  await qi.dropTable("incidents");
  await qi.removeIndex("integrations", "integrations_error_signature");
  await qi.removeColumn("integrations", "latest_error_signature");
}
