import type { InferAttributes } from "sequelize";
import type {
  AuditEvent,
  ConnectorAuth,
  EmbedConfiguration,
  FailureAlert,
  FlowRun,
  Group,
  Integration,
  Operator,
} from "./models/index.ts";

// The plain rows the data layer hands out: the columns of each table, with no model behind them.

/** An integration's columns. */
export type IntegrationRecord = InferAttributes<Integration>;
/** A flow run's columns. */
export type FlowRunRecord = InferAttributes<FlowRun>;
/** An audit entry's columns. */
export type AuditRecord = InferAttributes<AuditEvent>;
/** A connector auth's columns. */
export type ConnectorAuthRecord = InferAttributes<ConnectorAuth>;
/** An embed configuration's columns. */
export type EmbedConfigurationRecord = InferAttributes<EmbedConfiguration>;
/** A group's (or partner's) columns. */
export type GroupRecord = InferAttributes<Group>;
/** An operator's columns. */
export type OperatorRecord = InferAttributes<Operator>;
/** A failure alert's columns. */
export type FailureAlertRecord = InferAttributes<FailureAlert>;

export type { RunStatus } from "./models/index.ts";
