import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";
import type { SharingLevel } from "./embed-configuration.ts";

/** A Connector Auth: login data an end user gave for a connector. */
export class ConnectorAuth extends Model<InferAttributes<ConnectorAuth>, InferCreationAttributes<ConnectorAuth>> {
  declare id: string;
  declare name: string;
  declare connectorName: string;
  declare configurationId: string;
  /** The configuration's group, copied here so permission filters need no join. */
  declare groupId: string;
  declare sharingLevel: SharingLevel;
  declare embedUserId: string;
  declare embedAccountId: string;
  declare embedUserName: string | null;
  declare proprietary: boolean;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the connector_auths table. */
export function initConnectorAuth(sequelize: Sequelize): typeof ConnectorAuth {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends ConnectorAuth {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      name: { type: DataTypes.STRING, allowNull: false },
      connectorName: { type: DataTypes.STRING, allowNull: false },
      configurationId: { type: DataTypes.STRING, allowNull: false },
      groupId: { type: DataTypes.STRING, allowNull: false },
      sharingLevel: { type: DataTypes.STRING(16), allowNull: false },
      embedUserId: { type: DataTypes.STRING, allowNull: false },
      embedAccountId: { type: DataTypes.STRING, allowNull: false },
      embedUserName: { type: DataTypes.STRING, allowNull: true },
      proprietary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "ConnectorAuth", tableName: "connector_auths" },
  );
}
