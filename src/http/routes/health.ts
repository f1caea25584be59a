import type { FastifyInstance } from "fastify";
import type { Services } from "../../services.js";

export function healthRoutes(app: FastifyInstance, services: Services): void {
  app.get(
    "/healthz",
    { schema: { summary: "The process is up", tags: ["operations"] } },
    async () => ({ success: true, status: "ok" }),
  );

  app.get("/readyz", { schema: { summary: "Every configured backend answers", tags: ["operations"] } }, async (request, reply) => {
    // Required: without any of these a request fails, so the instance is not ready.
    const required: Record<string, Promise<unknown>> = {
      database: services.db.ping(),
      storage: services.blobs.ping(),
      exiftool: services.pool.exiftool.version(),
    };
    // Optional: without Redis, rate limits fall back to this process, so requests still succeed.
    const optional: Record<string, Promise<unknown>> = services.redis != null ? { redis: services.redis.ping() } : {};
    const checks: Record<string, "ok" | "failing" | "degraded"> = {};
    let ready = true;
    const settle = async (name: string, check: Promise<unknown>, whenFailing: "failing" | "degraded"): Promise<void> => {
      try {
        await check;
        checks[name] = "ok";
      } catch (err) {
        checks[name] = whenFailing;
        if (whenFailing === "failing") ready = false;
        request.log.error({ err, check: name }, `readiness check ${whenFailing}`);
      }
    };
    await Promise.all([
      ...Object.entries(required).map(([name, p]) => settle(name, p, "failing")),
      ...Object.entries(optional).map(([name, p]) => settle(name, p, "degraded")),
    ]);
    const degraded = Object.values(checks).includes("degraded");
    return reply.status(ready ? 200 : 503).send({
      success: ready,
      status: ready ? (degraded ? "degraded" : "ready") : "not ready",
      checks,
      exiftoolVersion: services.pool.version,
      database: services.db.kind,
      storage: services.config.STORAGE_URL?.startsWith("s3://") === true ? "s3" : "folder",
      rateLimits: services.redis != null ? "redis" : "in-process",
    });
  });
}
