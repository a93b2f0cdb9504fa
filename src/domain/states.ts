// The states an integration, a flow run and an audited action can be in: the words every layer shares.

/** enabled runs on its trigger; disabled does not. */
export type IntegrationStatus = "enabled" | "disabled";
/** The status of a flow run. */
export type RunStatus = "success" | "error" | "running" | "retrying";
/** What started a flow run. */
export type RunTrigger = "scheduler" | "webhook" | "manual";
/** How an audited action ended. */
export type AuditOutcome = "ok" | "denied" | "error" | "noop";
