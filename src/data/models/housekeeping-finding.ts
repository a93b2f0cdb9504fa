import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** Why the housekeeping report names an integration. */
export type FindingKind = "failing" | "stale" | "overdue";

/** A housekeeping finding, remembered across reports: first and last reported, snoozed, resolved. */
export class HousekeepingFinding extends Model<InferAttributes<HousekeepingFinding>, InferCreationAttributes<HousekeepingFinding>> {
  declare integrationId: string;
  declare kind: FindingKind;
  declare reason: string;
  declare firstReportedAt: Date;
  declare lastReportedAt: Date;
  declare snoozedUntil: Date | null;
  declare snoozedBy: string | null;
  declare resolvedAt: Date | null;
  /** `recovered` or `disabled`. */
  declare resolution: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the housekeeping_findings table. */
export function initHousekeepingFinding(sequelize: Sequelize): typeof HousekeepingFinding {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends HousekeepingFinding {}).init(
    {
      integrationId: { type: DataTypes.STRING, primaryKey: true },
      kind: { type: DataTypes.STRING(16), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: false },
      firstReportedAt: { type: DataTypes.DATE, allowNull: false },
      lastReportedAt: { type: DataTypes.DATE, allowNull: false },
      snoozedUntil: { type: DataTypes.DATE, allowNull: true },
      snoozedBy: { type: DataTypes.STRING, allowNull: true },
      resolvedAt: { type: DataTypes.DATE, allowNull: true },
      resolution: { type: DataTypes.STRING(16), allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "HousekeepingFinding", tableName: "housekeeping_findings" },
  );
}
