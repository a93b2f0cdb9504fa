import type { Attributes, Model, ModelStatic, Transaction } from "sequelize";
import { invalidPageLink } from "../errors.ts";
import { allOf, bound, column as quoted, type Condition } from "./bound.ts";
import type { Database } from "./database.ts";

/** A page of plain rows and the cursor of the next one. */
export interface Page<Row> {
  rows: Row[];
  next?: string;
}

/** Where a page starts and how long it is. */
export interface PageRequest {
  limit: number;
  /** The cursor a previous page gave, if any. */
  after?: string;
  /** Rows to skip, when a page is asked for by number without a cursor. */
  offset?: number;
}

/**
 * The rows that come after a cursor in `column DESC, id DESC` order (no condition without a cursor). The cursor
 * comes back from the user, so its time and id are bound, never written into the statement.
 */
export function afterCursor(model: ModelStatic<Model>, column: string, cursor: string | undefined, idKind: "text" | "number" = "text"): Condition {
  if (!cursor) return allOf([]);
  const after = decodeCursor(cursor);
  const id = idKind === "number" ? Number(after.id) : after.id;
  if (idKind === "number" && (!/^\d+$/.test(after.id) || !Number.isSafeInteger(id))) throw invalidPageLink();
  const at = quoted(model, column);
  return (binder) => {
    const time = binder.value(after.at);
    return `${at} < ${time} OR (${at} = ${time} AND ${quoted(model, "id")} < ${binder.value(id)})`;
  };
}

/** Encodes a keyset position as an opaque, short, URL-safe cursor: the time in base 36 and the id in base64url. */
export function encodeCursor(at: Date, id: string | number): string {
  return `${at.getTime().toString(36)}.${Buffer.from(String(id), "utf8").toString("base64url")}`;
}

/** The range a cursor's time may take (years 1970 to 9999), so that no database is handed a date it cannot read. */
const CURSOR_TIME_MAX = Date.UTC(9999, 11, 31);

/** Decodes a cursor; a cursor that was tampered with (wrong shape, types or range) is bad input. */
function decodeCursor(cursor: string): { at: Date; id: string } {
  const match = /^([0-9a-z]{1,9})\.([A-Za-z0-9_-]{1,270})$/.exec(cursor);
  if (match) {
    const at = parseInt(match[1]!, 36);
    const id = Buffer.from(match[2]!, "base64url").toString("utf8");
    const roundTrips = Buffer.from(id, "utf8").toString("base64url") === match[2];
    if (Number.isSafeInteger(at) && at <= CURSOR_TIME_MAX && roundTrips && id.length <= 200 && !id.includes("\0")) return { at: new Date(at), id };
  }
  throw invalidPageLink();
}

/**
 * One page of a table in `column DESC, id DESC` order: the one keyset paging every list answer uses.
 * Rows come back as plain objects (dates as dates), never model instances; every value in `condition` is bound.
 */
export async function keysetPage<M extends Model, K extends keyof Attributes<M> & string>(
  db: Database,
  model: ModelStatic<M>,
  condition: Condition,
  column: K,
  page: PageRequest,
  options: { idKind?: "text" | "number"; transaction?: Transaction } = {},
): Promise<Page<Attributes<M>>> {
  const found = await model.findAll({
    ...bound(db, allOf([condition, afterCursor(model as unknown as ModelStatic<Model>, column, page.after, options.idKind)])),
    order: [[column, "DESC"], ["id", "DESC"]],
    limit: page.limit + 1,
    offset: page.after ? undefined : page.offset || undefined,
    transaction: options.transaction,
  });
  const rows = found.slice(0, page.limit).map((row) => row.get({ plain: true }) as Attributes<M>);
  const last = rows[rows.length - 1] as (Attributes<M> & { id: string | number }) | undefined;
  return { rows, next: found.length > page.limit && last ? encodeCursor(last[column] as Date, last.id) : undefined };
}
