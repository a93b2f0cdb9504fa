import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Sequelize, Transaction, type Options } from "sequelize";
import { initModels, type Models } from "./models/index.ts";

/** The open database: Sequelize, its models and which dialect it speaks. */
export interface Database {
  sequelize: Sequelize;
  models: Models;
  dialect: "sqlite" | "postgres";
  close(): Promise<void>;
}

/** Opens DATABASE_URL (sqlite:PATH, sqlite::memory:, postgres://…) and defines the models; does not migrate. */
export function openDatabase(url: string): Database {
  const base: Options = {
    logging: false,
    define: { underscored: true, freezeTableName: true },
  };
  let sequelize: Sequelize;
  let dialect: Database["dialect"];
  if (url.startsWith("sqlite:")) {
    const storage = url.slice("sqlite:".length);
    if (storage !== ":memory:") mkdirSync(dirname(storage), { recursive: true });
    dialect = "sqlite";
    sequelize = new Sequelize({
      ...base,
      dialect: "sqlite",
      storage,
      // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of failing.
      transactionType: Transaction.TYPES.IMMEDIATE,
      retry: { match: [/SQLITE_BUSY/], max: 10 },
      pool: { max: 1, min: 0, idle: 60_000 },
    });
    sequelize.addHook("afterConnect", async (connection: unknown) => {
      const db = connection as { exec(sql: string, done: (error: Error | null) => void): void };
      await new Promise<void>((resolve, reject) =>
        db.exec(
          "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    });
  } else {
    dialect = "postgres";
    sequelize = new Sequelize(url, {
      ...base,
      dialect: "postgres",
      pool: { max: 10, min: 0, idle: 10_000 },
    });
  }
  const models = initModels(sequelize);
  return {
    sequelize,
    models,
    dialect,
    close: () => sequelize.close(),
  };
}
