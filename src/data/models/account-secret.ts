import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** A per-account signing secret of a configuration: where one exists, only it verifies that account's JWTs. */
export class AccountSecret extends Model<InferAttributes<AccountSecret>, InferCreationAttributes<AccountSecret>> {
  declare configurationId: string;
  declare embedAccountId: string;
  declare secret: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the account_secrets table. */
export function initAccountSecret(sequelize: Sequelize): typeof AccountSecret {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends AccountSecret {}).init(
    {
      configurationId: { type: DataTypes.STRING, primaryKey: true },
      embedAccountId: { type: DataTypes.STRING, primaryKey: true },
      secret: { type: DataTypes.TEXT, allowNull: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "AccountSecret", tableName: "account_secrets" },
  );
}
