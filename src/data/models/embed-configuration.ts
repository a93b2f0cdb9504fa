import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";
import type { SharingLevel } from "../../domain/activation.ts";

/** The sharing level of an Embed Configuration, fixed at creation. */
export type { SharingLevel };

/** An Embed Configuration: one embed setup, with the secret that signs its end users' JWTs (never shown). */
export class EmbedConfiguration extends Model<InferAttributes<EmbedConfiguration>, InferCreationAttributes<EmbedConfiguration>> {
  declare id: string;
  declare name: string;
  declare groupId: string;
  declare sharingLevel: SharingLevel;
  declare secret: string;
  declare proprietaryConnector: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the embed_configurations table. */
export function initEmbedConfiguration(sequelize: Sequelize): typeof EmbedConfiguration {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends EmbedConfiguration {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      name: { type: DataTypes.STRING, allowNull: false },
      groupId: { type: DataTypes.STRING, allowNull: false },
      sharingLevel: { type: DataTypes.STRING(16), allowNull: false },
      secret: { type: DataTypes.TEXT, allowNull: false },
      proprietaryConnector: { type: DataTypes.STRING, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "EmbedConfiguration", tableName: "embed_configurations" },
  );
}
