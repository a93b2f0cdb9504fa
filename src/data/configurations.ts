import { allOf, bound, equals } from "./bound.ts";
import type { Database } from "./database.ts";
import { plain } from "./models/index.ts";
import type { EmbedConfigurationRecord } from "./records.ts";

/** One embed configuration by id, if it exists. */
export async function findConfiguration(db: Database, id: string): Promise<EmbedConfigurationRecord | null> {
  const model = db.models.EmbedConfiguration;
  const configuration = await model.findOne(bound(db, equals(model, "id", id)));
  return configuration ? plain(configuration) : null;
}

/** The secret that signs an end account's tokens: its account secret where the configuration has one, else the configuration's. */
export async function signingSecret(db: Database, configuration: Pick<EmbedConfigurationRecord, "id" | "secret">, embedAccountId: string): Promise<{ secret: string; accountSecret: boolean }> {
  const model = db.models.AccountSecret;
  const account = await model.findOne(bound(db, allOf([equals(model, "configurationId", configuration.id), equals(model, "embedAccountId", embedAccountId)])));
  return account ? { secret: account.secret, accountSecret: true } : { secret: configuration.secret, accountSecret: false };
}
