import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Config } from "../config.js";
import { migrate } from "./migrations.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  kind: "sqlite" | "postgres";
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the database named by `DATABASE_URL` (PostgreSQL) or the SQLite file in `DATA_DIR`, migrated. */
export async function createDb(config: Pick<Config, "DATABASE_URL" | "DATA_DIR" | "DATABASE_POOL_MAX">): Promise<DbHandle> {
  const url = config.DATABASE_URL;
  let db: Db;
  let kind: DbHandle["kind"];
  if (url != null && /^postgres(ql)?:\/\//.test(url)) {
    kind = "postgres";
    const pool = new pg.Pool({
      connectionString: url,
      // Every instance holds up to this many connections: instances x max must stay under the
      // server's max_connections (100 by default).
      max: config.DATABASE_POOL_MAX,
      idleTimeoutMillis: 30_000,
      // An unreachable database fails the request (and /readyz) instead of hanging it.
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server (restart, failover) is discarded by the pool and the
    // next query opens a new one; without a listener the 'error' event would crash the process.
    pool.on("error", () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    kind = "sqlite";
    const file = url?.startsWith("sqlite:") === true ? url.slice("sqlite:".length) : path.join(config.DATA_DIR, "exifapi.sqlite");
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    // WAL lets the CLI read and write keys while the service runs; busy_timeout waits out the other writer.
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("synchronous = NORMAL");
    // SQLite's own page cache size (2 MB), not better-sqlite3's build default of 16 MB: the service
    // reads single rows by key and appends records, so a larger cache only grew the process by its
    // size as the records piled up (the soak: +19.6 MB of native memory in SQLite's allocations).
    sqlite.pragma("cache_size = -2000");
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  await migrate(db as Kysely<unknown>);
  return {
    db,
    kind,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
