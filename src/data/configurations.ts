import type { Database } from "./database.ts";
import { plain } from "./models/index.ts";
import type { EmbedConfigurationRecord } from "./records.ts";

/** One embed configuration by id, if it exists. */
export async function findConfiguration(db: Database, id: string): Promise<EmbedConfigurationRecord | null> {
  const configuration = await db.models.EmbedConfiguration.findByPk(id);
  return configuration ? plain(configuration) : null;
}

/** The secret that signs an end account's tokens: its account secret where the configuration has one, else the configuration's. */
export async function signingSecret(db: Database, configuration: Pick<EmbedConfigurationRecord, "id" | "secret">, embedAccountId: string): Promise<{ secret: string; accountSecret: boolean }> {
  const account = await db.models.AccountSecret.findOne({ where: { configurationId: configuration.id, embedAccountId } });
  return account ? { secret: account.secret, accountSecret: true } : { secret: configuration.secret, accountSecret: false };
}
