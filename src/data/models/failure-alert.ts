import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** A failure alert: one per integration and failure streak, with the Slack message that announced it. */
export class FailureAlert extends Model<InferAttributes<FailureAlert>, InferCreationAttributes<FailureAlert>> {
  declare id: CreationOptional<number>;
  declare integrationId: string;
  declare streakStartedAt: Date;
  /** `open`, `recovered` or `disabled`. */
  declare state: string;
  /** What the alert is about: `failing` or `overdue`. */
  declare kind: CreationOptional<"failing" | "overdue">;
  declare error: string | null;
  declare channel: string | null;
  declare ts: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the failure_alerts table. */
export function initFailureAlert(sequelize: Sequelize): typeof FailureAlert {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends FailureAlert {}).init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      integrationId: { type: DataTypes.STRING, allowNull: false },
      streakStartedAt: { type: DataTypes.DATE, allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "open" },
      kind: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "failing" },
      error: { type: DataTypes.TEXT, allowNull: true },
      channel: { type: DataTypes.STRING, allowNull: true },
      ts: { type: DataTypes.STRING, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "FailureAlert", tableName: "failure_alerts" },
  );
}
