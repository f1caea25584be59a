import crypto from "node:crypto";
import cors from "@fastify/cors";
import multipart from "@fastify/multipart";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { AppError } from "./errors.js";
import { makeAuthHooks } from "./http/auth.js";
import { makeErrorHandler } from "./http/error-handler.js";
import { continueOnlyWithinBound, FORM_LIMITS, markBodyStart, maxRequestBodyBytes, refuseDeclaredTooLarge } from "./http/request-body-bound.js";
import { registerMetrics } from "./http/metrics.js";
import { registerOpenApi } from "./http/openapi.js";
import { registerRateLimit } from "./http/rate-limit.js";
import { deleteRoutes } from "./http/routes/delete.js";
import { downloadRoutes } from "./http/routes/download.js";
import { extractRoutes } from "./http/routes/extract.js";
import { makePipeline } from "./http/pipeline.js";
import { healthRoutes } from "./http/routes/health.js";
import { removeRoutes } from "./http/routes/remove.js";
import { registerStaticPage } from "./http/static-page.js";
import type { Services } from "./services.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Builds the whole HTTP application on top of ready services; `server.ts` only listens. */
export async function buildApp(services: Services, logger: Logger): Promise<FastifyInstance> {
  const { config } = services;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // A caller's own request id is kept when it is a plain token, so logs can be joined across services.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    bodyLimit: 64 * 1024,
    // Node's own bound on receiving a request, behind the upload's (intake/upload.ts), which
    // answers with the contract's error: this one catches bodies the intake never reads.
    requestTimeout: (config.UPLOAD_TIMEOUT_SECONDS + 30) * 1000,
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.decorateRequest("apiKeyId", null);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("X-Request-Id", request.id);
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("Referrer-Policy", "no-referrer");
    reply.header("X-Frame-Options", "DENY");
  });

  await app.register(cors, {
    origin: config.CORS_ORIGINS.trim() === "*" ? "*" : config.CORS_ORIGINS.split(",").map((o) => o.trim()).filter((o) => o !== ""),
    methods: ["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
    allowedHeaders: ["X-API-Key", "Content-Type", "X-Request-Id"],
    exposedHeaders: ["X-Request-Id", "Retry-After", "Content-Disposition", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    maxAge: 600,
  });
  const maxBodyBytes = maxRequestBodyBytes(config.maxFileBytes);
  continueOnlyWithinBound(app.server, maxBodyBytes);
  app.addHook("onRequest", markBodyStart);
  app.addHook("onRequest", refuseDeclaredTooLarge(maxBodyBytes, config.MAX_FILE_MB));
  await app.register(multipart, { throwFileSizeLimit: true, limits: { fileSize: config.maxFileBytes, ...FORM_LIMITS } });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler(makeErrorHandler(config.MAX_FILE_MB, maxBodyBytes));
  app.setNotFoundHandler(() => {
    throw new AppError("not_found");
  });

  await registerOpenApi(app, config.PUBLIC_BASE_URL);
  registerMetrics(app, services);
  const auth = makeAuthHooks(services.keys);
  const rateLimit = await registerRateLimit(app, config.RATE_LIMIT_PER_MINUTE, services.redis?.client ?? null);
  const pipeline = makePipeline(app, services);
  extractRoutes(app, services, pipeline, auth, rateLimit);
  removeRoutes(app, pipeline, auth, rateLimit);
  downloadRoutes(app, services);
  deleteRoutes(app, services, auth);
  healthRoutes(app, services);
  await registerStaticPage(app);
  return app;
}
