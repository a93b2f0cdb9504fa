/**
 * Many rows as one bound parameter: a JSON array of rows that the statement reads as a table, so a bulk write
 * binds its values (any number of rows) without writing one of them into the statement's text. One parameter,
 * not one per value: the SQLite driver looks named parameters up one at a time, quadratic in their number.
 *
 *   const source = jsonRows(db, [["int_1", "2026-11-20 …"], …], [{ name: "id" }, { name: "at", type: "TIMESTAMPTZ" }]);
 *   `SELECT … FROM ${source.sql} rows`  with  { bind: source.bind }
 *
 * `sql` reads parameter $1, so a statement takes one such source (or numbers the others itself: `jsonRows(…, 2)`).
 */
import type { Database } from "./database.ts";

/** A column of the rows: its name in the statement, and the PostgreSQL type its text is read as (text when none). */
interface JsonColumn {
  name: string;
  type?: "TEXT" | "INTEGER" | "TIMESTAMPTZ";
}

/** A NUL would cut SQLite's text short and PostgreSQL refuses it in text: dropped from every value. */
function withoutNul(value: unknown): unknown {
  return typeof value === "string" ? value.replaceAll("\u0000", "") : value;
}

/** The rows as a parenthesized SELECT with the columns' names, reading the JSON from bind parameter `$n`. */
export function jsonRows(db: Database, rows: readonly unknown[][], columns: readonly JsonColumn[], parameter = 1): { sql: string; bind: string[] } {
  const json = JSON.stringify(rows.map((row) => row.map(withoutNul)));
  const select =
    db.dialect === "postgres"
      ? columns.map((column, i) => `CAST(value->>${i} AS ${column.type ?? "TEXT"}) AS ${column.name}`).join(", ") + ` FROM json_array_elements(CAST($${parameter} AS JSON))`
      : columns.map((column, i) => `json_extract(value, '$[${i}]') AS ${column.name}`).join(", ") + ` FROM json_each($${parameter})`;
  return { sql: `(SELECT ${select})`, bind: [json] };
}

/** Values as a one-column list for `IN`, reading the JSON from bind parameter `$n`. */
export function jsonList(db: Database, values: readonly unknown[], parameter = 1): { sql: string; bind: string[] } {
  const json = JSON.stringify(values.map(withoutNul));
  const sql = db.dialect === "postgres" ? `(SELECT json_array_elements_text(CAST($${parameter} AS JSON)))` : `(SELECT value FROM json_each($${parameter}))`;
  return { sql, bind: [json] };
}

/**
 * The value a JSON object holds under the key in `keyColumn` (NULL for a key it lacks), the object read from the
 * bound placeholder `placeholder`: gives each row its own value in one statement, nothing written into its text.
 * Name `keyColumn` with its table: SQLite's json_each has columns of its own (`id`, `key`, `value`, …).
 */
export function jsonValueAt(db: Database, placeholder: string, keyColumn: string): string {
  return db.dialect === "postgres" ? `(CAST(${placeholder} AS JSON) ->> ${keyColumn})` : `(SELECT value FROM json_each(${placeholder}) WHERE key = ${keyColumn})`;
}

/** Pairs as the JSON object jsonValueAt reads. */
export function jsonObject(pairs: Iterable<readonly [string, string]>): string {
  return JSON.stringify(Object.fromEntries([...pairs].map(([key, value]) => [withoutNul(key), withoutNul(value)])));
}
