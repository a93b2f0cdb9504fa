import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from "sequelize";
import type { EmbedConfiguration } from "./embed-configuration.ts";
import type { EmbedFlow } from "./embed-flow.ts";
import type { Group } from "./group.ts";
import type { SharingLevel } from "./embed-configuration.ts";
import type { HealthVerdict } from "../../domain/health.ts";

import type { IntegrationStatus, RunStatus } from "../../domain/states.ts";

export type { IntegrationStatus, RunStatus };

/**
 * An Integration: one end user's or end account's activated copy of an Embed Flow.
 * Its latest run is kept on the row (updated with every run write), so listing never scans flow runs.
 */
export class Integration extends Model<InferAttributes<Integration>, InferCreationAttributes<Integration>> {
  declare id: string;
  declare name: string;
  declare flowId: string;
  declare configurationId: string;
  /** The configuration's group, copied here so permission filters need no join. */
  declare groupId: string;
  /** The configuration's sharing level at activation. */
  declare sharingLevel: SharingLevel;
  /** One integration per configuration, flow and user (or account): `cfg|flow|u:ID` or `cfg|flow|a:ID`. */
  declare activationKey: string;
  declare embedUserId: string;
  declare embedAccountId: string;
  declare embedUserName: string | null;
  declare embedAccountName: string | null;
  /** JSON text of the embed_state claim, handed to the flow engine. */
  declare embedState: string | null;
  declare status: IntegrationStatus;
  declare triggerUrl: string | null;
  declare statusChangedAt: Date | null;
  declare statusChangedBy: string | null;
  declare disabledReason: string | null;
  declare latestRunId: string | null;
  declare latestRunStatus: RunStatus | null;
  declare latestRunAt: Date | null;
  declare latestRunError: string | null;
  declare lastSuccessAt: Date | null;
  declare failuresInRow: CreationOptional<number>;
  /** When the current streak of failed runs began; null when the latest run did not fail. */
  declare failingSince: Date | null;
  /** The latest run's start, else the activation: what "newest activity first" sorts on. */
  declare activityAt: Date;
  /** The manual run still running, if any: claimed atomically so one run request goes out at a time. */
  declare manualRunId: string | null;
  /** The kept health verdict (see src/domain/health.ts); readers take it for enabled integrations only. */
  declare health: CreationOptional<HealthVerdict | null>;
  /** Why the verdict holds, in words, as of when it was computed. */
  declare healthReason: CreationOptional<string | null>;
  /** Since when the verdict holds. */
  declare healthSince: CreationOptional<Date | null>;
  /** When time alone can next change the verdict: due rows are recomputed by the sweep and by readers. */
  declare healthDueAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  /** Joined by queries that include it (as "flow"). */
  declare flow?: NonAttribute<EmbedFlow>;
  /** Joined by queries that include it (as "configuration"). */
  declare configuration?: NonAttribute<EmbedConfiguration>;
  /** Joined by queries that include it (as "group"). */
  declare group?: NonAttribute<Group>;
}

/** Defines the integrations table. */
export function initIntegration(sequelize: Sequelize): typeof Integration {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends Integration {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      name: { type: DataTypes.STRING, allowNull: false },
      flowId: { type: DataTypes.STRING, allowNull: false },
      configurationId: { type: DataTypes.STRING, allowNull: false },
      groupId: { type: DataTypes.STRING, allowNull: false },
      sharingLevel: { type: DataTypes.STRING(16), allowNull: false },
      activationKey: { type: DataTypes.STRING, allowNull: false, unique: true },
      embedUserId: { type: DataTypes.STRING, allowNull: false },
      embedAccountId: { type: DataTypes.STRING, allowNull: false },
      embedUserName: { type: DataTypes.STRING, allowNull: true },
      embedAccountName: { type: DataTypes.STRING, allowNull: true },
      embedState: { type: DataTypes.TEXT, allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "enabled" },
      triggerUrl: { type: DataTypes.TEXT, allowNull: true },
      statusChangedAt: { type: DataTypes.DATE, allowNull: true },
      statusChangedBy: { type: DataTypes.STRING, allowNull: true },
      disabledReason: { type: DataTypes.TEXT, allowNull: true },
      latestRunId: { type: DataTypes.STRING, allowNull: true },
      latestRunStatus: { type: DataTypes.STRING(16), allowNull: true },
      latestRunAt: { type: DataTypes.DATE, allowNull: true },
      latestRunError: { type: DataTypes.TEXT, allowNull: true },
      lastSuccessAt: { type: DataTypes.DATE, allowNull: true },
      failuresInRow: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      failingSince: { type: DataTypes.DATE, allowNull: true },
      activityAt: { type: DataTypes.DATE, allowNull: false },
      manualRunId: { type: DataTypes.STRING, allowNull: true },
      health: { type: DataTypes.STRING(16), allowNull: true },
      healthReason: { type: DataTypes.TEXT, allowNull: true },
      healthSince: { type: DataTypes.DATE, allowNull: true },
      // A new row has no verdict yet: due at once.
      healthDueAt: { type: DataTypes.DATE, allowNull: true, defaultValue: () => new Date(0) },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "Integration", tableName: "integrations" },
  );
}
