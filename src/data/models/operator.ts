import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** An operator's role: admins see and do everything; members only what grants give. */
type OperatorRole = "admin" | "member";

/** An Operator: a person of the platform's company, known by email. */
export class Operator extends Model<InferAttributes<Operator>, InferCreationAttributes<Operator>> {
  declare id: CreationOptional<number>;
  /** Lower-cased. */
  declare email: string;
  declare name: string | null;
  declare role: OperatorRole;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Defines the operators table. */
export function initOperator(sequelize: Sequelize): typeof Operator {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends Operator {}).init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      email: { type: DataTypes.STRING, allowNull: false, unique: true },
      name: { type: DataTypes.STRING, allowNull: true },
      role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "member" },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: "Operator", tableName: "operators" },
  );
}
