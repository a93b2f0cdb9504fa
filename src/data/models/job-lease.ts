import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type Sequelize } from "sequelize";

/** A lease on one firing of a job: the process that inserts it runs that firing; the others skip it. */
export class JobLease extends Model<InferAttributes<JobLease>, InferCreationAttributes<JobLease>> {
  declare jobName: string;
  /** The scheduled minute of the firing, as an ISO string: the same in every replica. */
  declare fireKey: string;
  declare holder: string;
  declare acquiredAt: Date;
  declare finishedAt: Date | null;
  declare outcome: string | null;
  /** Past this moment with no heartbeat from the holder, another process may take the firing over. */
  declare expiresAt: Date | null;
}

/** Defines the job_leases table. */
export function initJobLease(sequelize: Sequelize): typeof JobLease {
  // A subclass per database, so two open databases in one process never share model classes.
  return (class extends JobLease {}).init(
    {
      jobName: { type: DataTypes.STRING, primaryKey: true },
      fireKey: { type: DataTypes.STRING, primaryKey: true },
      holder: { type: DataTypes.STRING, allowNull: false },
      acquiredAt: { type: DataTypes.DATE, allowNull: false },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
      outcome: { type: DataTypes.TEXT, allowNull: true },
      expiresAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, modelName: "JobLease", tableName: "job_leases", timestamps: false },
  );
}
