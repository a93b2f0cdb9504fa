import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** A Group (Embed v1) or Partner (Embed v2): the unit operators get permissions on. */
export class Group extends Model<InferAttributes<Group>, InferCreationAttributes<Group>> {
  declare id: string;
  declare name: string;
  declare kind: "group" | "partner";
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the groups table. */
export function initGroup(sequelize: Sequelize): typeof Group {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends Group {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      name: { type: DataTypes.STRING, allowNull: false },
      kind: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "group" },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "Group", tableName: "groups" },
  );
}
