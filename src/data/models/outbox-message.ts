import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** What an outbox row asks for: a new message, or an update of the message another row posted. */
type OutboxKind = "post" | "update";

/**
 * Where an outbox row stands: waiting, delivered, given up on (the reason in `error`), or superseded (an update
 * replaced, before it was sent, by a later update of the same message).
 */
type OutboxState = "pending" | "sent" | "failed" | "superseded";

/** One Slack write a job decided on, written in the same transaction as its findings and sent by the outbox sender. */
export class OutboxMessage extends Model<InferAttributes<OutboxMessage>, InferCreationAttributes<OutboxMessage>> {
  declare id: CreationOptional<number>;
  /** The writer's idempotency key (e.g. `failure-alert:42:post`): a second enqueue of it changes nothing. */
  declare key: string;
  declare kind: OutboxKind;
  declare channel: string;
  /** For an update: the key of the post whose message it replaces; for a post, the key of the message whose thread it replies in. */
  declare targetKey: string | null;
  /** The message, a reply document as JSON. */
  declare doc: string;
  declare state: OutboxState;
  declare attempts: CreationOptional<number>;
  declare claimedBy: string | null;
  declare claimedUntil: Date | null;
  declare notBefore: Date | null;
  /** Where the message lives once posted. */
  declare postedChannel: string | null;
  declare ts: string | null;
  declare error: string | null;
  declare createdAt: Date;
  declare sentAt: Date | null;
}

/** Defines the outbox_messages table. */
export function initOutboxMessage(sequelize: Sequelize): typeof OutboxMessage {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends OutboxMessage {}).init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      key: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      kind: { type: DataTypes.STRING(16), allowNull: false },
      channel: { type: DataTypes.STRING, allowNull: false },
      targetKey: { type: DataTypes.STRING(255), allowNull: true },
      doc: { type: DataTypes.TEXT, allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      claimedBy: { type: DataTypes.STRING, allowNull: true },
      claimedUntil: { type: DataTypes.DATE, allowNull: true },
      notBefore: { type: DataTypes.DATE, allowNull: true },
      postedChannel: { type: DataTypes.STRING, allowNull: true },
      ts: { type: DataTypes.STRING, allowNull: true },
      error: { type: DataTypes.TEXT, allowNull: true },
      createdAt: { type: DataTypes.DATE, allowNull: false },
      sentAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, modelName: "OutboxMessage", tableName: "outbox_messages", timestamps: false },
  );
}
