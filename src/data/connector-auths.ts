import type { GroupScope } from "../domain/permissions.ts";
import { allOf, column, equals, type Condition } from "./bound.ts";
import type { Database } from "./database.ts";
import { escapeLike, scopeCondition } from "./integrations.ts";
import { keysetPage, type Page, type PageRequest } from "./keyset.ts";
import type { ConnectorAuthRecord } from "./records.ts";

/** The filters of `auths`, as typed. */
interface ConnectorAuthFilters {
  configurationId?: string;
  accountId?: string;
  userId?: string;
  /** A connector name, matched case-insensitively and literally (%, _ and \ are no wildcards). */
  connector?: string;
}

/** One page of connector auths within a scope, newest first. */
export async function connectorAuthPage(db: Database, scope: GroupScope, filters: ConnectorAuthFilters, page: PageRequest): Promise<Page<ConnectorAuthRecord>> {
  const model = db.models.ConnectorAuth;
  const and: Condition[] = [scopeCondition(model, scope)];
  if (filters.configurationId) and.push(equals(model, "configurationId", filters.configurationId));
  if (filters.accountId) and.push(equals(model, "embedAccountId", filters.accountId));
  if (filters.userId) and.push(equals(model, "embedUserId", filters.userId));
  const connector = filters.connector;
  if (connector) and.push((binder) => binder.like(column(model, "connectorName"), escapeLike(connector)));
  return keysetPage(db, model, allOf(and), "createdAt", page);
}
