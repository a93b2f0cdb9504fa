import type { Attributes, Model, Sequelize } from "sequelize";
import { initAccountSecret } from "./account-secret.ts";
import { initAuditEvent } from "./audit-event.ts";
import { initConnectorAuth } from "./connector-auth.ts";
import { initEmbedConfiguration } from "./embed-configuration.ts";
import { initEmbedFlow } from "./embed-flow.ts";
import { initFailureAlert } from "./failure-alert.ts";
import { initFlowRun } from "./flow-run.ts";
import { initGrant } from "./grant.ts";
import { initGroup } from "./group.ts";
import { initHousekeepingFinding } from "./housekeeping-finding.ts";
import { initIntegration } from "./integration.ts";
import { initJobLease } from "./job-lease.ts";
import { initOperator } from "./operator.ts";
import { initSlackLink } from "./slack-link.ts";
import { initOutboxMessage } from "./outbox-message.ts";

/** Defines every model on one Sequelize instance. */
export function initModels(sequelize: Sequelize) {
  const models = {
    Group: initGroup(sequelize),
    EmbedConfiguration: initEmbedConfiguration(sequelize),
    AccountSecret: initAccountSecret(sequelize),
    EmbedFlow: initEmbedFlow(sequelize),
    Integration: initIntegration(sequelize),
    FlowRun: initFlowRun(sequelize),
    ConnectorAuth: initConnectorAuth(sequelize),
    Operator: initOperator(sequelize),
    SlackLink: initSlackLink(sequelize),
    Grant: initGrant(sequelize),
    AuditEvent: initAuditEvent(sequelize),
    HousekeepingFinding: initHousekeepingFinding(sequelize),
    FailureAlert: initFailureAlert(sequelize),
    JobLease: initJobLease(sequelize),
    OutboxMessage: initOutboxMessage(sequelize),
  };
  // The names a list page shows beside each integration, joined in the same statement.
  models.Integration.belongsTo(models.EmbedFlow, { as: "flow", foreignKey: "flowId", constraints: false });
  models.Integration.belongsTo(models.EmbedConfiguration, { as: "configuration", foreignKey: "configurationId", constraints: false });
  models.Integration.belongsTo(models.Group, { as: "group", foreignKey: "groupId", constraints: false });
  return models;
}

/** Every model of the domain. */
export type Models = ReturnType<typeof initModels>;

export type { AuditEvent, AuditOutcome } from "./audit-event.ts";
export type { ConnectorAuth } from "./connector-auth.ts";
export type { EmbedConfiguration, SharingLevel } from "./embed-configuration.ts";
export type { EmbedFlow } from "./embed-flow.ts";
export type { FailureAlert } from "./failure-alert.ts";
export type { FlowRun, RunTrigger } from "./flow-run.ts";
export type { Grant } from "./grant.ts";
export type { Group } from "./group.ts";
export type { FindingKind } from "./housekeeping-finding.ts";
export type { Integration, IntegrationStatus, RunStatus } from "./integration.ts";
export type { Operator } from "./operator.ts";
export type { SlackLink } from "./slack-link.ts";

/** A model instance's columns as a plain object: what the data layer hands out instead of the instance. */
export function plain<M extends Model>(row: M): Attributes<M> {
  return row.get({ plain: true }) as Attributes<M>;
}
