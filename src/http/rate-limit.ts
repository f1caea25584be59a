import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";

/**
 * Per-key limits on the POST endpoints. Counted after authentication (preHandler), so the
 * bucket is the key's id; a request without a valid key never gets this far.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<object> {
  await app.register(rateLimit, {
    global: false,
    hook: "preHandler",
    errorResponseBuilder: () => new AppError("rate_limited"),
  });
  return {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => request.apiKeyId ?? request.ip,
  };
}
