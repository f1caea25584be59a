import { Redis } from "ioredis";

export interface RedisHandle {
  client: Redis;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Redis client that fails fast instead of queueing: while Redis is away every command rejects
 * at once (or after COMMAND_TIMEOUT_MS when it hangs), so callers can fall back rather than
 * hold a request. It keeps reconnecting in the background for as long as the process lives.
 */
export function createRedis(url: string): RedisHandle {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Connection errors come back on every command; callers (the rate-limit store, /readyz) report
  // them. Without a listener ioredis would print each reconnect failure to stderr.
  client.on("error", () => undefined);
  return {
    client,
    async ping() {
      await client.ping();
    },
    async close() {
      // quit() waits for a reply that a dead server never sends.
      if (client.status === "ready") await client.quit();
      else client.disconnect();
    },
  };
}
