import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";
import type { RunStatus, RunTrigger } from "../../domain/states.ts";

export type { RunTrigger };

/** A Flow run: one execution of an integration. Its id is the platform's run_id. */
export class FlowRun extends Model<InferAttributes<FlowRun>, InferCreationAttributes<FlowRun>> {
  declare id: string;
  declare integrationId: string;
  declare status: RunStatus;
  declare trigger: RunTrigger;
  declare startedAt: Date;
  declare finishedAt: Date | null;
  declare error: string | null;
  /** The operator (email) who asked for a manual run. */
  declare requestedBy: string | null;
  /** The Slack user who asked for a manual run from Slack, so its outcome can mention them. */
  declare requestedBySlackUserId: CreationOptional<string | null>;
  /** Where the Slack message about a manual run lives, so its outcome can update it. */
  declare slackChannel: string | null;
  declare slackTs: string | null;
  /** A response_url to update the message through when it could not be posted with chat.postMessage. */
  declare slackResponseUrl: string | null;
  /** When the flow engine answered the run request (any answer): a run still `running` without one was cut off. */
  declare engineAnsweredAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the flow_runs table. */
export function initFlowRun(sequelize: Sequelize): typeof FlowRun {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends FlowRun {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      integrationId: { type: DataTypes.STRING, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      trigger: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "scheduler" },
      startedAt: { type: DataTypes.DATE, allowNull: false },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
      error: { type: DataTypes.TEXT, allowNull: true },
      requestedBy: { type: DataTypes.STRING, allowNull: true },
      requestedBySlackUserId: { type: DataTypes.STRING, allowNull: true },
      slackChannel: { type: DataTypes.STRING, allowNull: true },
      slackTs: { type: DataTypes.STRING, allowNull: true },
      slackResponseUrl: { type: DataTypes.TEXT, allowNull: true },
      engineAnsweredAt: { type: DataTypes.DATE, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "FlowRun", tableName: "flow_runs" },
  );
}
