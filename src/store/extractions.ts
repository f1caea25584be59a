import type { Db } from "./db.js";

export interface StoredExtraction {
  uuid: string;
  apiKeyId: string | null;
  fileName: string;
  /** The response body as first sent, without `createdAt`. */
  result: Record<string, unknown>;
  createdAt: string;
}

export interface ExtractionStore {
  save(e: StoredExtraction): Promise<void>;
  find(uuid: string): Promise<StoredExtraction | null>;
  /** @returns false when there was no such record */
  delete(uuid: string): Promise<boolean>;
  /** Deletes at most `limit` records created before `cutoff`, oldest first; resolves to how many went. */
  deleteCreatedBefore(cutoff: Date, limit: number): Promise<number>;
}

export function createExtractionStore(db: Db): ExtractionStore {
  return {
    async save(e) {
      await db
        .insertInto("extractions")
        .values({
          uuid: e.uuid,
          api_key_id: e.apiKeyId,
          file_name: e.fileName,
          result_json: JSON.stringify(e.result),
          created_at: e.createdAt,
        })
        .execute();
    },
    async find(uuid) {
      const row = await db.selectFrom("extractions").selectAll().where("uuid", "=", uuid).executeTakeFirst();
      if (row == null) return null;
      return {
        uuid: row.uuid,
        apiKeyId: row.api_key_id,
        fileName: row.file_name,
        result: JSON.parse(row.result_json) as Record<string, unknown>,
        createdAt: row.created_at,
      };
    },
    async delete(uuid) {
      const r = await db.deleteFrom("extractions").where("uuid", "=", uuid).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async deleteCreatedBefore(cutoff, limit) {
      // A bounded batch through a subquery: neither engine may hold one huge delete, and
      // PostgreSQL has no DELETE ... LIMIT.
      const oldest = db.selectFrom("extractions").select("uuid").where("created_at", "<", cutoff.toISOString()).orderBy("created_at").limit(limit);
      const r = await db.deleteFrom("extractions").where("uuid", "in", oldest).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
