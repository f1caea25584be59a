import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { AppError } from "../errors.js";
import { sharedRateLimitStore } from "./shared-rate-limit-store.js";

/**
 * Per-key limits on the POST endpoints. Counted after authentication (preHandler), so the
 * bucket is the key's id, shared by both endpoints; a request without a valid key never gets this
 * far. With Redis the counts are shared by every instance; without it they live in this process.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number, redis: Redis | null): Promise<object> {
  await app.register(rateLimit, {
    global: false,
    hook: "preHandler",
    errorResponseBuilder: () => new AppError("rate_limited"),
    store: sharedRateLimitStore(redis, app.log),
  });
  return {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => request.apiKeyId ?? request.ip,
  };
}
