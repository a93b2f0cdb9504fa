import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The process's Prometheus registry; GET /metrics renders it. */
export const registry = new Registry();
// Process defaults: embedops_process_resident_memory_bytes, embedops_nodejs_eventloop_lag_seconds, …
collectDefaultMetrics({ register: registry, prefix: "embedops_" });

/** Slash commands and button clicks handled, by command and outcome (ok, denied, bad_input, error, …). */
export const commandsTotal = new Counter({
  name: "embedops_commands_total",
  help: "Slash commands and button clicks handled, by command and outcome",
  labelNames: ["command", "outcome"] as const,
  registers: [registry],
});

/** Requests refused by the permission policy, by command and reason. */
export const denialsTotal = new Counter({
  name: "embedops_denials_total",
  help: "Requests refused by the permission policy",
  labelNames: ["command", "reason"] as const,
  registers: [registry],
});

/** Run requests sent to the flow engine, by outcome. */
export const runRequestsTotal = new Counter({
  name: "embedops_run_requests_total",
  help: "Run requests sent to the flow engine, by outcome",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

/** Job runs, by job and outcome. */
export const jobRunsTotal = new Counter({
  name: "embedops_job_runs_total",
  help: "Job runs, by job and outcome",
  labelNames: ["job", "outcome"] as const,
  registers: [registry],
});

/** How long jobs take. */
export const jobDurationSeconds = new Histogram({
  name: "embedops_job_duration_seconds",
  help: "Job run durations",
  labelNames: ["job"] as const,
  buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
  registers: [registry],
});

/** HTTP API requests, by route and status. */
export const apiRequestsTotal = new Counter({
  name: "embedops_api_requests_total",
  help: "HTTP API requests, by route and status",
  labelNames: ["route", "status"] as const,
  registers: [registry],
});

/** Slack Web API errors and rate-limit retries, by method and kind. */
export const slackApiErrorsTotal = new Counter({
  name: "embedops_slack_api_errors_total",
  help: "Slack Web API errors and rate-limit retries, by method and kind",
  labelNames: ["method", "kind"] as const,
  registers: [registry],
});

/** Slack Web API calls retried by the client, by why (rate_limited, server_error, network). */
export const slackApiRetriesTotal = new Counter({
  name: "embedops_slack_api_retries_total",
  help: "Slack Web API calls retried after a rate limit (429), a 5xx answer or a network error",
  labelNames: ["reason"] as const,
  registers: [registry],
});

/** CSV exports, by outcome and where they went (slack, file). */
export const exportsTotal = new Counter({
  name: "embedops_exports_total",
  help: "CSV exports of integrations, by outcome and destination",
  labelNames: ["outcome", "destination"] as const,
  registers: [registry],
});

/** App Home views published, by outcome. */
export const appHomePublishesTotal = new Counter({
  name: "embedops_app_home_publishes_total",
  help: "App Home views published, by outcome",
  labelNames: ["outcome"] as const,
  registers: [registry],
});
