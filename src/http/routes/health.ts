import type { FastifyInstance } from "fastify";
import type { Services } from "../../services.js";

export function healthRoutes(app: FastifyInstance, services: Services): void {
  app.get(
    "/healthz",
    { schema: { summary: "The process is up", tags: ["operations"] } },
    async () => ({ success: true, status: "ok" }),
  );

  app.get("/readyz", { schema: { summary: "Database, storage and ExifTool answer", tags: ["operations"] } }, async (request, reply) => {
    const checks = {
      database: services.db.ping(),
      storage: services.blobs.ping(),
      exiftool: services.pool.exiftool.version(),
    };
    const results = await Promise.allSettled(Object.values(checks));
    const names = Object.keys(checks);
    const status: Record<string, string> = {};
    results.forEach((r, i) => {
      status[names[i] ?? String(i)] = r.status === "fulfilled" ? "ok" : "failing";
      if (r.status === "rejected") request.log.error({ err: r.reason, check: names[i] }, "readiness check failed");
    });
    const ready = results.every((r) => r.status === "fulfilled");
    return reply.status(ready ? 200 : 503).send({
      success: ready,
      status: ready ? "ready" : "not ready",
      checks: status,
      exiftoolVersion: services.pool.version,
      database: services.db.kind,
    });
  });
}
