/**
 * What answers show, as the presenters read it: plain values a command hands over, shaped by what is shown and
 * by nothing the database keeps. The data layer's rows carry these fields (and more), so a command passes them on.
 */
import type { SharingLevel } from "../domain/activation.ts";
import type { HealthVerdict } from "../domain/health.ts";
import type { FindingKind } from "../domain/housekeeping.ts";
import type { AuditOutcome, IntegrationStatus, RunStatus, RunTrigger } from "../domain/states.ts";

export type { AuditOutcome, IntegrationStatus, RunStatus, RunTrigger, SharingLevel };

/** An integration with its flow, configuration and group, as lists and detail views show it. */
export interface IntegrationView {
  id: string;
  name: string;
  status: IntegrationStatus;
  latestRunStatus: RunStatus | null;
  latestRunAt: Date | null;
  latestRunError: string | null;
  lastSuccessAt: Date | null;
  failuresInRow: number;
  flowName: string;
  flowUrl: string | null;
  configurationId: string;
  configurationName: string;
  groupName: string;
  groupKind: "group" | "partner";
  embedUserId: string;
  embedAccountId: string;
  embedUserName: string | null;
  sharingLevel: SharingLevel;
  statusChangedAt: Date | null;
  statusChangedBy: string | null;
  disabledReason: string | null;
  createdAt: Date;
  /** The kept health verdict and why (read for enabled integrations only). */
  health: HealthVerdict | null;
  healthReason: string | null;
}

/** One flow run. */
export interface RunView {
  id: string;
  status: RunStatus;
  trigger: RunTrigger;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  requestedBy: string | null;
}

/** One audit log entry. */
export interface AuditEntryView {
  at: Date;
  actor: string;
  action: string;
  targetId: string | null;
  groupId: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

/** One connector auth. */
export interface ConnectorAuthView {
  name: string;
  connectorName: string;
  sharingLevel: SharingLevel;
  embedUserId: string;
  embedAccountId: string;
  proprietary: boolean;
}

/** A housekeeping finding still open, with its integration. */
export interface OpenFindingView {
  integration: IntegrationView;
  kind: FindingKind;
  reason: string;
  firstReportedAt: Date;
}

/** Integrations counted by status and by latest run (`none`: never ran). */
export interface IntegrationCountsView {
  total: number;
  byStatus: Record<IntegrationStatus, number>;
  byLatestRun: Record<RunStatus | "none", number>;
}
