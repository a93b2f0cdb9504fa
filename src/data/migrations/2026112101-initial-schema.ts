import { DataTypes, type QueryInterface } from "sequelize";

const timestamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

/** The whole domain: groups, configurations, flows, integrations, runs, auths, operators, grants, audit, jobs. */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Stays long: the first migration declares every table in one go, and a released migration is never edited.
  await qi.createTable("groups", {
    id: { type: DataTypes.STRING, primaryKey: true },
    name: { type: DataTypes.STRING, allowNull: false },
    kind: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "group" },
    ...timestamps,
  });
  await qi.addIndex("groups", ["name"]);

  await qi.createTable("embed_configurations", {
    id: { type: DataTypes.STRING, primaryKey: true },
    name: { type: DataTypes.STRING, allowNull: false },
    group_id: { type: DataTypes.STRING, allowNull: false, references: { model: "groups", key: "id" } },
    sharing_level: { type: DataTypes.STRING(16), allowNull: false },
    secret: { type: DataTypes.TEXT, allowNull: false },
    proprietary_connector: { type: DataTypes.STRING, allowNull: true },
    ...timestamps,
  });
  await qi.addIndex("embed_configurations", ["group_id"]);

  await qi.createTable("account_secrets", {
    configuration_id: { type: DataTypes.STRING, primaryKey: true, references: { model: "embed_configurations", key: "id" } },
    embed_account_id: { type: DataTypes.STRING, primaryKey: true },
    secret: { type: DataTypes.TEXT, allowNull: false },
    ...timestamps,
  });

  await qi.createTable("embed_flows", {
    id: { type: DataTypes.STRING, primaryKey: true },
    name: { type: DataTypes.STRING, allowNull: false },
    url: { type: DataTypes.TEXT, allowNull: true },
    trigger: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "scheduler" },
    trigger_url: { type: DataTypes.TEXT, allowNull: true },
    ...timestamps,
  });

  await qi.createTable("integrations", {
    id: { type: DataTypes.STRING, primaryKey: true },
    name: { type: DataTypes.STRING, allowNull: false },
    flow_id: { type: DataTypes.STRING, allowNull: false, references: { model: "embed_flows", key: "id" } },
    configuration_id: { type: DataTypes.STRING, allowNull: false, references: { model: "embed_configurations", key: "id" } },
    group_id: { type: DataTypes.STRING, allowNull: false, references: { model: "groups", key: "id" } },
    sharing_level: { type: DataTypes.STRING(16), allowNull: false },
    activation_key: { type: DataTypes.STRING, allowNull: false, unique: true },
    embed_user_id: { type: DataTypes.STRING, allowNull: false },
    embed_account_id: { type: DataTypes.STRING, allowNull: false },
    embed_user_name: { type: DataTypes.STRING, allowNull: true },
    embed_account_name: { type: DataTypes.STRING, allowNull: true },
    embed_state: { type: DataTypes.TEXT, allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "enabled" },
    trigger_url: { type: DataTypes.TEXT, allowNull: true },
    status_changed_at: { type: DataTypes.DATE, allowNull: true },
    status_changed_by: { type: DataTypes.STRING, allowNull: true },
    disabled_reason: { type: DataTypes.TEXT, allowNull: true },
    latest_run_id: { type: DataTypes.STRING, allowNull: true },
    latest_run_status: { type: DataTypes.STRING(16), allowNull: true },
    latest_run_at: { type: DataTypes.DATE, allowNull: true },
    latest_run_error: { type: DataTypes.TEXT, allowNull: true },
    last_success_at: { type: DataTypes.DATE, allowNull: true },
    failures_in_row: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    failing_since: { type: DataTypes.DATE, allowNull: true },
    activity_at: { type: DataTypes.DATE, allowNull: false },
    manual_run_id: { type: DataTypes.STRING, allowNull: true },
    ...timestamps,
  });
  // "Newest activity first" with a stable tie-break, alone and within each list filter.
  await qi.addIndex("integrations", ["activity_at", "id"], { name: "integrations_activity" });
  for (const column of ["group_id", "configuration_id", "embed_account_id", "embed_user_id", "flow_id", "status", "latest_run_status"]) {
    await qi.addIndex("integrations", [column, "activity_at", "id"], { name: `integrations_${column}_activity` });
  }
  // The housekeeping scan: enabled integrations by when they last ran or failed.
  await qi.addIndex("integrations", ["status", "latest_run_at"], { name: "integrations_status_latest_run_at" });
  await qi.addIndex("integrations", ["status", "failures_in_row"], { name: "integrations_status_failures" });

  await qi.createTable("flow_runs", {
    id: { type: DataTypes.STRING, primaryKey: true },
    integration_id: { type: DataTypes.STRING, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    trigger: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "scheduler" },
    started_at: { type: DataTypes.DATE, allowNull: false },
    finished_at: { type: DataTypes.DATE, allowNull: true },
    error: { type: DataTypes.TEXT, allowNull: true },
    requested_by: { type: DataTypes.STRING, allowNull: true },
    slack_channel: { type: DataTypes.STRING, allowNull: true },
    slack_ts: { type: DataTypes.STRING, allowNull: true },
    slack_response_url: { type: DataTypes.TEXT, allowNull: true },
    ...timestamps,
  });
  await qi.addIndex("flow_runs", ["integration_id", "started_at"], { name: "flow_runs_integration_started" });
  await qi.addIndex("flow_runs", ["started_at"], { name: "flow_runs_started" });

  await qi.createTable("connector_auths", {
    id: { type: DataTypes.STRING, primaryKey: true },
    name: { type: DataTypes.STRING, allowNull: false },
    connector_name: { type: DataTypes.STRING, allowNull: false },
    configuration_id: { type: DataTypes.STRING, allowNull: false, references: { model: "embed_configurations", key: "id" } },
    group_id: { type: DataTypes.STRING, allowNull: false },
    sharing_level: { type: DataTypes.STRING(16), allowNull: false },
    embed_user_id: { type: DataTypes.STRING, allowNull: false },
    embed_account_id: { type: DataTypes.STRING, allowNull: false },
    embed_user_name: { type: DataTypes.STRING, allowNull: true },
    proprietary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    ...timestamps,
  });
  for (const column of ["configuration_id", "group_id", "embed_account_id", "embed_user_id", "connector_name"]) {
    await qi.addIndex("connector_auths", [column, "created_at"], { name: `connector_auths_${column}` });
  }

  await qi.createTable("operators", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    email: { type: DataTypes.STRING, allowNull: false, unique: true },
    name: { type: DataTypes.STRING, allowNull: true },
    role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "member" },
    ...timestamps,
  });

  await qi.createTable("slack_links", {
    slack_user_id: { type: DataTypes.STRING, primaryKey: true },
    operator_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: "operators", key: "id" }, onDelete: "CASCADE" },
    created_by: { type: DataTypes.STRING, allowNull: true },
    ...timestamps,
  });

  await qi.createTable("grants", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    operator_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: "operators", key: "id" }, onDelete: "CASCADE" },
    slack_usergroup_id: { type: DataTypes.STRING, allowNull: true },
    permission: { type: DataTypes.STRING(16), allowNull: false },
    group_id: { type: DataTypes.STRING, allowNull: true, references: { model: "groups", key: "id" } },
    subject_key: { type: DataTypes.STRING, allowNull: false },
    scope_key: { type: DataTypes.STRING, allowNull: false },
    created_by: { type: DataTypes.STRING, allowNull: true },
    ...timestamps,
  });
  await qi.addIndex("grants", ["subject_key", "scope_key"], { unique: true, name: "grants_subject_scope" });

  await qi.createTable("audit_events", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    at: { type: DataTypes.DATE, allowNull: false },
    actor: { type: DataTypes.STRING, allowNull: false },
    actor_slack_user_id: { type: DataTypes.STRING, allowNull: true },
    action: { type: DataTypes.STRING(32), allowNull: false },
    target_id: { type: DataTypes.STRING, allowNull: true },
    group_id: { type: DataTypes.STRING, allowNull: true },
    outcome: { type: DataTypes.STRING(16), allowNull: false },
    detail: { type: DataTypes.TEXT, allowNull: true },
  });
  await qi.addIndex("audit_events", ["at"], { name: "audit_events_at" });
  await qi.addIndex("audit_events", ["target_id", "at"], { name: "audit_events_target" });

  await qi.createTable("housekeeping_findings", {
    integration_id: { type: DataTypes.STRING, primaryKey: true },
    kind: { type: DataTypes.STRING(16), allowNull: false },
    reason: { type: DataTypes.TEXT, allowNull: false },
    first_reported_at: { type: DataTypes.DATE, allowNull: false },
    last_reported_at: { type: DataTypes.DATE, allowNull: false },
    snoozed_until: { type: DataTypes.DATE, allowNull: true },
    snoozed_by: { type: DataTypes.STRING, allowNull: true },
    resolved_at: { type: DataTypes.DATE, allowNull: true },
    resolution: { type: DataTypes.STRING(16), allowNull: true },
    ...timestamps,
  });

  await qi.createTable("failure_alerts", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    integration_id: { type: DataTypes.STRING, allowNull: false },
    streak_started_at: { type: DataTypes.DATE, allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "open" },
    error: { type: DataTypes.TEXT, allowNull: true },
    channel: { type: DataTypes.STRING, allowNull: true },
    ts: { type: DataTypes.STRING, allowNull: true },
    ...timestamps,
  });
  await qi.addIndex("failure_alerts", ["integration_id", "streak_started_at"], { unique: true, name: "failure_alerts_streak" });
  await qi.addIndex("failure_alerts", ["state"], { name: "failure_alerts_state" });

  await qi.createTable("job_leases", {
    job_name: { type: DataTypes.STRING, primaryKey: true },
    fire_key: { type: DataTypes.STRING, primaryKey: true },
    holder: { type: DataTypes.STRING, allowNull: false },
    acquired_at: { type: DataTypes.DATE, allowNull: false },
    finished_at: { type: DataTypes.DATE, allowNull: true },
    outcome: { type: DataTypes.TEXT, allowNull: true },
  });

  await qi.createTable("slack_posts", {
    key: { type: DataTypes.STRING, primaryKey: true },
    channel: { type: DataTypes.STRING, allowNull: false },
    ts: { type: DataTypes.STRING, allowNull: false },
    posted_at: { type: DataTypes.DATE, allowNull: false },
  });
}

/** Drops everything, newest table first. */
export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of [
    "slack_posts", "job_leases", "failure_alerts", "housekeeping_findings", "audit_events", "grants", "slack_links",
    "operators", "connector_auths", "flow_runs", "integrations", "embed_flows", "account_secrets", "embed_configurations", "groups",
  ]) {
    await qi.dropTable(table);
  }
}
