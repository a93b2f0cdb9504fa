import { literal, type Model, type ModelStatic } from "sequelize";
import type { Database } from "./database.ts";

/** A value a statement may bind. */
type BindValue = string | number | boolean | Date | null;

/**
 * The values of one statement, bound as `$1…$n` on both dialects: the statement's text holds placeholders only,
 * never a value, so nothing a user types is ever parsed as SQL or mangled by escaping.
 */
export class Binder {
  readonly values: BindValue[] = [];

  constructor(private readonly dialect: Database["dialect"]) {}

  /** The placeholder of one more value. */
  value(value: BindValue): string {
    // SQLite keeps dates as text in Sequelize's format; a bound Date would reach it as a number of milliseconds.
    this.values.push(this.dialect === "sqlite" && value instanceof Date ? sqliteDate(value) : value);
    return `$${this.values.length}`;
  }

  /** The placeholders of a list, for `IN (…)`; an empty list matches nothing, as Sequelize's `IN (NULL)` does. */
  list(values: readonly BindValue[]): string {
    return values.length ? values.map((value) => this.value(value)).join(", ") : "NULL";
  }

  /**
   * A case-insensitive LIKE of a column against a pattern escaped with escapeLike. PostgreSQL's ILIKE escapes with a
   * backslash by default; SQLite's LIKE has no escape character unless one is named, hence `like(pattern, column, '\')`.
   */
  like(column: string, pattern: string): string {
    return this.dialect === "postgres" ? `${column} ILIKE ${this.value(pattern)}` : `like(${this.value(pattern)}, ${column}, '\\') = 1`;
  }
}

/** A condition written with a binder: SQL text in which every value is a placeholder. */
export type Condition = (binder: Binder) => string;

/** Every condition holds (no condition: always true). */
export function allOf(conditions: readonly Condition[]): Condition {
  return (binder) => (conditions.length ? conditions.map((condition) => `(${condition(binder)})`).join(" AND ") : "1 = 1");
}

/** One of the conditions holds (no condition: never true). */
export function anyOf(conditions: readonly Condition[]): Condition {
  return (binder) => (conditions.length ? conditions.map((condition) => `(${condition(binder)})`).join(" OR ") : "1 = 0");
}

/** The quoted column of a model's attribute, as the finders alias their table (`"Integration"."group_id"`). */
export function column(model: ModelStatic<Model>, attribute: string): string {
  const field = model.getAttributes()[attribute]?.field ?? attribute;
  return `"${model.name}"."${field}"`;
}

/** An attribute equals a value. */
export function equals(model: ModelStatic<Model>, attribute: string, value: BindValue): Condition {
  return (binder) => (value === null ? `${column(model, attribute)} IS NULL` : `${column(model, attribute)} = ${binder.value(value)}`);
}

/** An attribute is one of the values. */
export function isIn(model: ModelStatic<Model>, attribute: string, values: readonly BindValue[]): Condition {
  return (binder) => `${column(model, attribute)} IN (${binder.list(values)})`;
}

/** Finder options (`where` and `bind`) for a condition: the WHERE is text with placeholders, the values go beside it. */
export function bound(db: Database, condition: Condition): { where: ReturnType<typeof literal>; bind: BindValue[] } {
  const binder = new Binder(db.dialect);
  const where = literal(condition(binder));
  return { where, bind: binder.values };
}

/** A date as Sequelize writes it to SQLite (`2026-11-20 12:00:00.000 +00:00`), so that text comparisons hold. */
function sqliteDate(date: Date): string {
  return `${date.toISOString().replace("T", " ").replace("Z", "")} +00:00`;
}
