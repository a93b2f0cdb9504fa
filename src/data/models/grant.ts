import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";
import type { Permission } from "../../domain/permissions.ts";

/**
 * A Grant: view, run or manage on one group (or all, groupId null), given to an operator or a Slack user group.
 * One row per subject and scope: granting again replaces the permission.
 */
export class Grant extends Model<InferAttributes<Grant>, InferCreationAttributes<Grant>> {
  declare id: CreationOptional<number>;
  declare operatorId: number | null;
  declare slackUsergroupId: string | null;
  declare permission: Permission;
  declare groupId: string | null;
  /** `op:ID` or `ug:S…`, with scopeKey unique: nulls in unique indexes behave differently per database. */
  declare subjectKey: string;
  /** The group id, or `*` for all groups. */
  declare scopeKey: string;
  declare createdBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the grants table. */
export function initGrant(sequelize: Sequelize): typeof Grant {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends Grant {}).init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      operatorId: { type: DataTypes.INTEGER, allowNull: true },
      slackUsergroupId: { type: DataTypes.STRING, allowNull: true },
      permission: { type: DataTypes.STRING(16), allowNull: false },
      groupId: { type: DataTypes.STRING, allowNull: true },
      subjectKey: { type: DataTypes.STRING, allowNull: false },
      scopeKey: { type: DataTypes.STRING, allowNull: false },
      createdBy: { type: DataTypes.STRING, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "Grant", tableName: "grants" },
  );
}
