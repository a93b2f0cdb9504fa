import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** An explicit link from an immutable Slack user id to an operator; it wins over the email Slack reports. */
export class SlackLink extends Model<InferAttributes<SlackLink>, InferCreationAttributes<SlackLink>> {
  declare slackUserId: string;
  declare operatorId: number;
  declare createdBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the slack_links table. */
export function initSlackLink(sequelize: Sequelize): typeof SlackLink {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends SlackLink {}).init(
    {
      slackUserId: { type: DataTypes.STRING, primaryKey: true },
      operatorId: { type: DataTypes.INTEGER, allowNull: false },
      createdBy: { type: DataTypes.STRING, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "SlackLink", tableName: "slack_links" },
  );
}
