/** Whether a configuration's integrations belong to one end user or to one end account. */
export type SharingLevel = "user" | "account";

/**
 * `cfg|flow|u:USER` or `cfg|flow|a:ACCOUNT`: what makes activation unique, one integration per configuration,
 * flow and user (sharing level `user`) or account (sharing level `account`).
 */
export function activationKey(configurationId: string, flowId: string, sharingLevel: SharingLevel, embedUserId: string, embedAccountId: string): string {
  return `${configurationId}|${flowId}|${sharingLevel === "user" ? `u:${embedUserId}` : `a:${embedAccountId}`}`;
}
