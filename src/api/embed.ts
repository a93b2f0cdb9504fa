import { z } from "zod";
import { activateIntegration, type PlannedAuth } from "../data/activations.ts";
import { setIntegrationStatus } from "../data/integration-status.ts";
import { findIntegration } from "../data/integrations.ts";
import type { ConnectorAuthRecord, EmbedConfigurationRecord, IntegrationRecord } from "../data/records.ts";
import { defaultConnectorAuthName } from "../domain/connector-auth-name.ts";
import { parseEmbedState } from "../domain/embed-state.ts";
import { ownsIntegration, type Actor } from "../domain/permissions.ts";
import { badInput, EmbedopsError, ErrorCode } from "../errors.ts";
import { log } from "../log.ts";
import type { Runtime } from "../runtime.ts";
import { parseBody } from "./body.ts";
import type { Route } from "./http.ts";
import { verifyEndUserToken, type EndUser } from "./jwt.ts";

const MAX_NAME = 255;

const connectorAuthInput = z.object({
  connector_name: z.string().trim().min(1, "must not be empty").max(100),
  name: z.string().trim().min(1, "must not be empty").max(MAX_NAME).nullish(),
  proprietary: z.boolean().nullish(),
});

/** The body of POST /api/embed/{configuration_id}/integrations. */
const activationBody = z.object({
  flow_id: z.string().trim().min(1, "must not be empty").max(MAX_NAME),
  name: z.string().trim().min(1, "must not be empty").max(MAX_NAME).nullish(),
  connector_auths: z.array(connectorAuthInput).max(50).nullish(),
});

/** The body of an activation request, parsed. */
type ActivationBody = z.infer<typeof activationBody>;

/** The end user a verified token speaks for, as an actor: audited as `job:embed:USER_ID`. */
function endUserActor(configurationId: string, endUser: EndUser): Actor {
  return { kind: "end_user", configurationId, userId: endUser.userId, accountId: endUser.accountId };
}

/** The integration as the embed API answers it. */
function integrationBody(integration: IntegrationRecord, auths: ConnectorAuthRecord[] = []): Record<string, unknown> {
  return {
    id: integration.id,
    name: integration.name,
    status: integration.status,
    flow_id: integration.flowId,
    configuration_id: integration.configurationId,
    sharing_level: integration.sharingLevel,
    embed_user_id: integration.embedUserId,
    embed_account_id: integration.embedAccountId,
    embed_user_name: integration.embedUserName,
    embed_account_name: integration.embedAccountName,
    embed_state: parseEmbedState(integration.embedState),
    latest_run_status: integration.latestRunStatus,
    created_at: integration.createdAt.toISOString(),
    connector_auths: auths.map((auth) => ({
      id: auth.id,
      name: auth.name,
      connector_name: auth.connectorName,
      proprietary: auth.proprietary,
      created_at: auth.createdAt.toISOString(),
    })),
  };
}

/**
 * Names the request's connector auths and checks the custom-name rule: a custom name only for a second or
 * later auth of the same connector by the same user (account, at account level), counting the stored ones
 * (`existing`, by connector) and earlier ones of this request. Proprietary is what the configuration says; a request claiming otherwise is refused.
 */
function planConnectorAuths(
  configuration: EmbedConfigurationRecord,
  endUser: EndUser,
  inputs: NonNullable<ActivationBody["connector_auths"]>,
  existing: Map<string, number>,
  at: Date,
  timeZone: string,
): PlannedAuth[] {
  const seen = new Map(existing);
  const who = configuration.sharingLevel === "account" ? `account \`${endUser.accountId}\`` : `user \`${endUser.userId}\``;
  return inputs.map((input, index) => {
    const connector = input.connector_name;
    const before = seen.get(connector) ?? 0;
    seen.set(connector, before + 1);
    const proprietary = configuration.proprietaryConnector !== null && connector === configuration.proprietaryConnector;
    if (input.proprietary !== undefined && input.proprietary !== null && input.proprietary !== proprietary) {
      const truth = proprietary ? `is this configuration's proprietary connector` : `is not this configuration's proprietary connector`;
      throw badInput(`connector_auths[${index}].proprietary: ${connector} ${truth}.`, { apiCode: "proprietary_mismatch" });
    }
    if (input.name && before === 0) {
      throw badInput(
        `connector_auths[${index}].name: a custom name is accepted only for a second or later ${connector} auth of the same ${who}; the first one is named by the platform's schema.`,
        { apiCode: "custom_name_not_allowed" },
      );
    }
    const name = input.name ?? defaultConnectorAuthName(connector, at, timeZone, endUser.userName, endUser.userId).slice(0, MAX_NAME);
    return { connectorName: connector, name, proprietary };
  });
}

/** POST /api/embed/{configuration_id}/integrations: an end user activates a flow (201 new, 200 existing). */
export function activationRoute(runtime: Runtime): Route {
  return {
    method: "POST",
    path: "/api/embed/:configurationId/integrations",
    async handle(request) {
      const now = runtime.clock.now();
      const { configuration, endUser } = await verifyEndUserToken(runtime.db, request.params.configurationId!, request.headers, now);
      const body = parseBody(activationBody, request.body);
      const activation = await activateIntegration(runtime.db, {
        configuration,
        flowId: body.flow_id,
        name: body.name,
        endUser,
        actor: endUserActor(configuration.id, endUser),
        connectorNames: (body.connector_auths ?? []).map((input) => input.connector_name),
        planAuths: (existing) => planConnectorAuths(configuration, endUser, body.connector_auths ?? [], existing, now, runtime.config.timeZone),
        now,
      });
      log.info(
        { integrationId: activation.integration.id, configurationId: configuration.id, embedUserId: endUser.userId, created: activation.created, connectorAuths: activation.auths.length },
        activation.created ? "integration activated" : "integration activated again",
      );
      return { status: activation.created ? 201 : 200, body: integrationBody(activation.integration, activation.auths) };
    },
  };
}

/** POST /api/embed/{configuration_id}/integrations/{id}/deactivate: the integration's own user (or account) disables it. */
export function deactivationRoute(runtime: Runtime): Route {
  return {
    method: "POST",
    path: "/api/embed/:configurationId/integrations/:id/deactivate",
    async handle(request) {
      const now = runtime.clock.now();
      const { configuration, endUser } = await verifyEndUserToken(runtime.db, request.params.configurationId!, request.headers, now);
      const integration = await findIntegration(runtime.db, request.params.id!);
      if (!integration || integration.configurationId !== configuration.id) {
        throw new EmbedopsError(ErrorCode.NotFound, `No integration \`${request.params.id}\` in configuration \`${configuration.id}\`.`, { apiCode: "unknown_integration" });
      }
      const actor = endUserActor(configuration.id, endUser);
      if (!ownsIntegration(actor, integration)) {
        const owner = integration.sharingLevel === "account" ? "account" : "user";
        throw new EmbedopsError(ErrorCode.Denied, `Only the integration's own ${owner} may deactivate it.`, { apiCode: "forbidden" });
      }
      const change = await setIntegrationStatus(runtime.db, {
        integrationId: integration.id,
        status: "disabled",
        actor: endUserActor(configuration.id, endUser),
        reason: "deactivated by the end user",
        at: now,
        action: "deactivate",
      });
      log.info({ integrationId: integration.id, embedUserId: endUser.userId, changed: change.changed }, "integration deactivated");
      return { status: 200, body: integrationBody(change.integration) };
    },
  };
}
