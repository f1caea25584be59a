import crypto from "node:crypto";
import type { Db } from "./db.js";

export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface KeyStore {
  /** Creates a key and returns it in clear text: the only time it exists outside the caller. */
  create(name: string): Promise<{ info: ApiKeyInfo; key: string }>;
  list(): Promise<ApiKeyInfo[]>;
  /** @returns false when no key has that id */
  revoke(id: string): Promise<boolean>;
  /** @returns the key's id when it is known and not revoked */
  verify(key: string): Promise<string | null>;
  count(): Promise<number>;
}

const KEY_PREFIX = "exk_";

/**
 * Keys carry 256 random bits, so a plain SHA-256 is a safe one-way store (a slow KDF only matters
 * for guessable secrets) and lets a key be found by its hash in one indexed lookup.
 */
function hashKey(key: string): string {
  return crypto.createHash("sha256").update(key, "utf8").digest("hex");
}

export function createKeyStore(db: Db): KeyStore {
  const now = () => new Date().toISOString();
  const toInfo = (r: { id: string; name: string; created_at: string; last_used_at: string | null; revoked_at: string | null }): ApiKeyInfo => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  });

  return {
    async create(name) {
      const key = KEY_PREFIX + crypto.randomBytes(32).toString("base64url");
      const row = {
        id: crypto.randomUUID(),
        name,
        key_hash: hashKey(key),
        created_at: now(),
        last_used_at: null,
        revoked_at: null,
      };
      await db.insertInto("api_keys").values(row).execute();
      return { info: toInfo(row), key };
    },
    async list() {
      const rows = await db.selectFrom("api_keys").selectAll().orderBy("created_at").execute();
      return rows.map(toInfo);
    },
    async revoke(id) {
      const res = await db
        .updateTable("api_keys")
        .set({ revoked_at: now() })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) return true;
      const exists = await db.selectFrom("api_keys").select("id").where("id", "=", id).executeTakeFirst();
      return exists != null;
    },
    async verify(key) {
      if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
      const hash = hashKey(key);
      const row = await db
        .selectFrom("api_keys")
        .select(["id", "key_hash", "revoked_at", "last_used_at"])
        .where("key_hash", "=", hash)
        .executeTakeFirst();
      if (row == null || row.revoked_at != null) return null;
      if (!crypto.timingSafeEqual(Buffer.from(row.key_hash, "hex"), Buffer.from(hash, "hex"))) return null;
      // Written at most once a minute per key, so a busy key does not turn every request into a write.
      const stamp = now();
      if (row.last_used_at == null || Date.parse(stamp) - Date.parse(row.last_used_at) > 60_000) {
        await db.updateTable("api_keys").set({ last_used_at: stamp }).where("id", "=", row.id).execute();
      }
      return row.id;
    },
    async count() {
      const r = await db.selectFrom("api_keys").select((eb) => eb.fn.countAll<string | number>().as("n")).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
