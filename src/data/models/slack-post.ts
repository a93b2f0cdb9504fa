import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** A message a job posted, by a key of the job's choosing, so a resumed job never posts it twice. */
export class SlackPost extends Model<InferAttributes<SlackPost>, InferCreationAttributes<SlackPost>> {
  declare key: string;
  declare channel: string;
  declare ts: string;
  declare postedAt: Date;
}

/** Defines the slack_posts table. */
export function initSlackPost(sequelize: Sequelize): typeof SlackPost {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends SlackPost {}).init(
    {
      key: { type: DataTypes.STRING, primaryKey: true },
      channel: { type: DataTypes.STRING, allowNull: false },
      ts: { type: DataTypes.STRING, allowNull: false },
      postedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, modelName: "SlackPost", tableName: "slack_posts", timestamps: false },
  );
}
