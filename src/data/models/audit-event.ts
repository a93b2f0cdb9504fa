import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";
import type { AuditOutcome } from "../../domain/states.ts";

export type { AuditOutcome };

/** One line of the append-only audit log: who did what to which target, and how it went. */
export class AuditEvent extends Model<InferAttributes<AuditEvent>, InferCreationAttributes<AuditEvent>> {
  declare id: CreationOptional<number>;
  declare at: Date;
  /** The operator's email, `job:NAME`, `api:…`, or `slack:U…` for an unmapped Slack user. */
  declare actor: string;
  declare actorSlackUserId: string | null;
  declare action: string;
  declare targetId: string | null;
  declare groupId: string | null;
  declare outcome: AuditOutcome;
  declare detail: string | null;
}

/** Defines the audit_events table (no updated_at: rows are never changed). */
export function initAuditEvent(sequelize: Sequelize): typeof AuditEvent {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends AuditEvent {}).init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      at: { type: DataTypes.DATE, allowNull: false },
      actor: { type: DataTypes.STRING, allowNull: false },
      actorSlackUserId: { type: DataTypes.STRING, allowNull: true },
      action: { type: DataTypes.STRING(32), allowNull: false },
      targetId: { type: DataTypes.STRING, allowNull: true },
      groupId: { type: DataTypes.STRING, allowNull: true },
      outcome: { type: DataTypes.STRING(16), allowNull: false },
      detail: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, modelName: "AuditEvent", tableName: "audit_events", timestamps: false },
  );
}
