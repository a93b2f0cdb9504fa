import { Op, type WhereOptions } from "sequelize";
import type { GroupScope } from "../domain/permissions.ts";
import type { Database } from "./database.ts";
import { escapeLike, likeWhere, scopeWhere } from "./integrations.ts";
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
  const and: WhereOptions[] = [scopeWhere(scope)];
  if (filters.configurationId) and.push({ configurationId: filters.configurationId });
  if (filters.accountId) and.push({ embedAccountId: filters.accountId });
  if (filters.userId) and.push({ embedUserId: filters.userId });
  if (filters.connector) and.push(likeWhere(db, db.models.ConnectorAuth, "connectorName", escapeLike(filters.connector)));
  return keysetPage(db.models.ConnectorAuth, { [Op.and]: and }, "createdAt", page);
}
