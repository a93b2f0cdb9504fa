import { randomBytes } from "node:crypto";
import { UniqueConstraintError } from "sequelize";
import { activationKey } from "../domain/activation.ts";
import { embedStateText } from "../domain/embed-state.ts";
import { actorLabel, type Actor } from "../domain/permissions.ts";
import { EmbedopsError, ErrorCode } from "../errors.ts";
import { recordAudit } from "./audit.ts";
import { allOf, bound, equals, isIn } from "./bound.ts";
import type { Database } from "./database.ts";
import { setIntegrationStatus } from "./integration-status.ts";
import { plain, type ConnectorAuth } from "./models/index.ts";
import type { ConnectorAuthRecord, EmbedConfigurationRecord, IntegrationRecord } from "./records.ts";

/** The end user an activation is for, as their verified token says. */
interface ActivatingUser {
  userId: string;
  accountId: string;
  userName: string | null;
  accountName: string | null;
  /** The embed_state claim, any JSON value; undefined when the token has none. */
  state: unknown;
}

/** One connector auth to write, already named. */
export interface PlannedAuth {
  connectorName: string;
  name: string;
  proprietary: boolean;
}

/** One activation request, checked at the edge. */
interface ActivationRequest {
  configuration: EmbedConfigurationRecord;
  flowId: string;
  /** The integration's name when new; the flow's name when absent. */
  name?: string | null;
  endUser: ActivatingUser;
  actor: Actor;
  /** The connectors the request brings auths for. */
  connectorNames: string[];
  /** Names the request's auths given how many each connector already has for this user (or account); throws to refuse. */
  planAuths(existingByConnector: Map<string, number>): PlannedAuth[];
  now: Date;
}

/** What an activation did. */
interface Activation {
  created: boolean;
  integration: IntegrationRecord;
  auths: ConnectorAuthRecord[];
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString("base64url")}`;
}

/**
 * Activates the flow for the end user (or their account) and records the request's connector auths,
 * all in one transaction: a new integration, or the existing one enabled again and refreshed with what the
 * token says about its user and account. Two first activations at once: the loser retries and finds the winner's.
 */
export async function activateIntegration(db: Database, request: ActivationRequest): Promise<Activation> {
  try {
    return await activateOnce(db, request);
  } catch (error) {
    if (error instanceof UniqueConstraintError) return activateOnce(db, request);
    throw error;
  }
}

async function activateOnce(db: Database, request: ActivationRequest): Promise<Activation> {
  // Stays long: one transaction whose steps (flow, existing activation, create or refresh, auths) share its locked rows.
  const { configuration, endUser, actor, now } = request;
  const key = activationKey(configuration.id, request.flowId, configuration.sharingLevel, endUser.userId, endUser.accountId);
  return db.sequelize.transaction(async (transaction): Promise<Activation> => {
    const flow = await db.models.EmbedFlow.findOne({ ...bound(db, equals(db.models.EmbedFlow, "id", request.flowId)), transaction });
    if (!flow) throw new EmbedopsError(ErrorCode.NotFound, `No embed flow \`${request.flowId}\`.`, { apiCode: "unknown_flow" });
    const authModel = db.models.ConnectorAuth;
    const owner = configuration.sharingLevel === "account" ? equals(authModel, "embedAccountId", endUser.accountId) : equals(authModel, "embedUserId", endUser.userId);
    const existingAuths = request.connectorNames.length
      ? await authModel.findAll({
          attributes: ["connectorName"],
          ...bound(db, allOf([equals(authModel, "configurationId", configuration.id), isIn(authModel, "connectorName", [...new Set(request.connectorNames)]), owner])),
          transaction,
        })
      : [];
    const counts = new Map<string, number>();
    for (const auth of existingAuths) counts.set(auth.connectorName, (counts.get(auth.connectorName) ?? 0) + 1);
    const planned = request.planAuths(counts);
    let integration = await db.models.Integration.findOne({
      ...bound(db, equals(db.models.Integration, "activationKey", key)),
      transaction,
      lock: db.dialect === "postgres" ? transaction.LOCK.UPDATE : undefined,
    });
    const created = !integration;
    if (integration) {
      if (integration.status === "disabled") {
        ({ integration } = await setIntegrationStatus(db, { integrationId: integration.id, status: "enabled", actor, at: now, action: "activate" }, transaction));
      }
      // The token speaks for this user and account now: keep what it says about them up to date.
      const refresh: Partial<Pick<IntegrationRecord, "embedState" | "embedAccountName" | "embedUserName">> = {};
      const state = embedStateText(endUser.state);
      if (state !== undefined) refresh.embedState = state;
      if (endUser.accountName !== null) refresh.embedAccountName = endUser.accountName;
      if (endUser.userName !== null && endUser.userId === integration.embedUserId) refresh.embedUserName = endUser.userName;
      integration.set(refresh);
      if (integration.changed()) await integration.save({ transaction });
    } else {
      integration = await db.models.Integration.create(
        {
          id: newId("int"),
          name: request.name ?? flow.name,
          flowId: flow.id,
          configurationId: configuration.id,
          groupId: configuration.groupId,
          sharingLevel: configuration.sharingLevel,
          activationKey: key,
          embedUserId: endUser.userId,
          embedAccountId: endUser.accountId,
          embedUserName: endUser.userName,
          embedAccountName: endUser.accountName,
          embedState: embedStateText(endUser.state) ?? null,
          status: "enabled",
          triggerUrl: null,
          statusChangedAt: now,
          statusChangedBy: actorLabel(actor),
          disabledReason: null,
          latestRunId: null,
          latestRunStatus: null,
          latestRunAt: null,
          latestRunError: null,
          lastSuccessAt: null,
          failingSince: null,
          activityAt: now,
          manualRunId: null,
          createdAt: now,
        },
        { transaction },
      );
      await recordAudit(db, { actor, action: "activate", targetId: integration.id, groupId: integration.groupId, outcome: "ok", at: now }, transaction);
    }
    // One INSERT each (at most 50): create binds its values, where bulkCreate would write them into the statement.
    const auths: ConnectorAuth[] = [];
    for (const auth of planned) {
      const row = {
        id: newId("ca"),
        name: auth.name,
        connectorName: auth.connectorName,
        configurationId: configuration.id,
        groupId: configuration.groupId,
        sharingLevel: configuration.sharingLevel,
        embedUserId: endUser.userId,
        embedAccountId: endUser.accountId,
        embedUserName: endUser.userName,
        proprietary: auth.proprietary,
        createdAt: now,
        updatedAt: now,
      };
      auths.push(await db.models.ConnectorAuth.create(row, { transaction }));
    }
    return { created, integration: plain(integration), auths: auths.map(plain) };
  });
}
