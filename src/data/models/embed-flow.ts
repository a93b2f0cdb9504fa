import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** An Embed Flow: the template flow that integrations are copies of. */
export class EmbedFlow extends Model<InferAttributes<EmbedFlow>, InferCreationAttributes<EmbedFlow>> {
  declare id: string;
  declare name: string;
  declare url: string | null;
  declare trigger: "scheduler" | "webhook";
  declare triggerUrl: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the embed_flows table. */
export function initEmbedFlow(sequelize: Sequelize): typeof EmbedFlow {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends EmbedFlow {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      name: { type: DataTypes.STRING, allowNull: false },
      url: { type: DataTypes.TEXT, allowNull: true },
      trigger: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "scheduler" },
      triggerUrl: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "EmbedFlow", tableName: "embed_flows" },
  );
}
