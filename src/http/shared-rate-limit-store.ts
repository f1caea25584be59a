import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyBaseLogger } from "fastify";
import type { Redis } from "ioredis";

// A fixed window per key, started by its first request. Counting and expiry run as one script,
// so no counter is ever left without an expiry.
const WINDOW_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

const NAMESPACE = "exifapi:rate-limit:";
const LOCAL_PRUNE_AT = 10_000;

type Result = { current: number; ttl: number };

/**
 * A @fastify/rate-limit store with one bucket per API key for all POST endpoints together (the
 * contract limits requests per key, not per route). With Redis the count holds across instances,
 * falling back to counting in this process while Redis is unreachable: an outage loosens the
 * limit to one per instance but never fails a request. The switch both ways is logged once.
 */
export function sharedRateLimitStore(redis: Redis | null, log: FastifyBaseLogger): FastifyRateLimitStoreCtor {
  let degraded = false;

  class SharedStore implements FastifyRateLimitStore {
    private readonly local = new Map<string, { current: number; resetAt: number }>();

    incr(key: string, callback: (error: Error | null, result?: Result) => void, timeWindow: number): void {
      void this.count(key, timeWindow).then((result) => callback(null, result));
    }

    /** Every route shares this store, so a key's requests to both endpoints count together. */
    child(): FastifyRateLimitStore {
      return this;
    }

    /** Never rejects: any Redis failure is answered from the in-process count. */
    private async count(key: string, timeWindow: number): Promise<Result> {
      if (redis == null) return this.countLocally(key, timeWindow);
      try {
        const result = parseReply(await redis.eval(WINDOW_SCRIPT, 1, `${NAMESPACE}${key}`, String(timeWindow)));
        if (degraded) {
          degraded = false;
          log.info("Redis answers again: rate limits are shared by every instance again");
        }
        return result;
      } catch (err) {
        if (!degraded) {
          degraded = true;
          log.warn({ err }, "Redis is unreachable: rate limits are counted by each instance alone until it answers");
        }
        return this.countLocally(key, timeWindow);
      }
    }

    private countLocally(key: string, timeWindow: number): Result {
      const now = Date.now();
      if (this.local.size >= LOCAL_PRUNE_AT) {
        for (const [k, w] of this.local) if (w.resetAt <= now) this.local.delete(k);
      }
      let window = this.local.get(key);
      if (window == null || window.resetAt <= now) {
        window = { current: 0, resetAt: now + timeWindow };
        this.local.set(key, window);
      }
      window.current += 1;
      return { current: window.current, ttl: window.resetAt - now };
    }
  }
  return SharedStore;
}

function parseReply(reply: unknown): Result {
  if (Array.isArray(reply) && typeof reply[0] === "number" && typeof reply[1] === "number") {
    return { current: reply[0], ttl: reply[1] };
  }
  throw new Error(`unexpected rate-limit reply from Redis: ${JSON.stringify(reply)}`);
}
