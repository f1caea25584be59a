import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";

/** Migrations are code, listed here in order, so the compiled service carries them. */
const migrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_used_at", "text")
        .addColumn("revoked_at", "text")
        .execute();
      await db.schema
        .createTable("extractions")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("api_key_id", "text")
        .addColumn("file_name", "text", (c) => c.notNull())
        .addColumn("result_json", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("cleaned_files")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("api_key_id", "text")
        .addColumn("file_name", "text", (c) => c.notNull())
        .addColumn("mime_type", "text", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("storage_key", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("cleaned_files_expires_at").on("cleaned_files").column("expires_at").execute();
    },
  },
  // The sweeper deletes extraction results by age (RESULT_TTL_HOURS).
  "0002_extractions_created_at": {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex("extractions_created_at").on("extractions").column("created_at").execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

export async function migrate(db: Kysely<unknown>): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error != null) throw error;
}
