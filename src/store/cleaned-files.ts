import type { Db } from "./db.js";

export interface CleanedFile {
  uuid: string;
  apiKeyId: string | null;
  fileName: string;
  mimeType: string;
  size: number;
  storageKey: string;
  createdAt: string;
  expiresAt: string;
}

export interface CleanedFileStore {
  save(f: CleanedFile): Promise<void>;
  /** @returns the record only while it has not expired */
  findLive(uuid: string, now: Date): Promise<CleanedFile | null>;
  /** Expired records, oldest first, at most `limit`. */
  listExpired(now: Date, limit: number): Promise<CleanedFile[]>;
  /** @returns false when there was no such record */
  delete(uuid: string): Promise<boolean>;
  stats(now: Date): Promise<{ count: number; bytes: number }>;
}

type Row = {
  uuid: string;
  api_key_id: string | null;
  file_name: string;
  mime_type: string;
  size: number | string;
  storage_key: string;
  created_at: string;
  expires_at: string;
};

const fromRow = (r: Row): CleanedFile => ({
  uuid: r.uuid,
  apiKeyId: r.api_key_id,
  fileName: r.file_name,
  mimeType: r.mime_type,
  // PostgreSQL returns bigint as a string.
  size: Number(r.size),
  storageKey: r.storage_key,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export function createCleanedFileStore(db: Db): CleanedFileStore {
  return {
    async save(f) {
      await db
        .insertInto("cleaned_files")
        .values({
          uuid: f.uuid,
          api_key_id: f.apiKeyId,
          file_name: f.fileName,
          mime_type: f.mimeType,
          size: f.size,
          storage_key: f.storageKey,
          created_at: f.createdAt,
          expires_at: f.expiresAt,
        })
        .execute();
    },
    async findLive(uuid, now) {
      const row = await db
        .selectFrom("cleaned_files")
        .selectAll()
        .where("uuid", "=", uuid)
        .where("expires_at", ">", now.toISOString())
        .executeTakeFirst();
      return row == null ? null : fromRow(row);
    },
    async listExpired(now, limit) {
      const rows = await db
        .selectFrom("cleaned_files")
        .selectAll()
        .where("expires_at", "<=", now.toISOString())
        .orderBy("expires_at")
        .limit(limit)
        .execute();
      return rows.map(fromRow);
    },
    async delete(uuid) {
      const r = await db.deleteFrom("cleaned_files").where("uuid", "=", uuid).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async stats(now) {
      const r = await db
        .selectFrom("cleaned_files")
        .select((eb) => [eb.fn.countAll<string | number>().as("n"), eb.fn.sum<string | number | null>("size").as("bytes")])
        .where("expires_at", ">", now.toISOString())
        .executeTakeFirstOrThrow();
      return { count: Number(r.n), bytes: Number(r.bytes ?? 0) };
    },
  };
}
