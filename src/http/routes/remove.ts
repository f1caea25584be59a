import type { FastifyInstance } from "fastify";
import type { makeAuthHooks } from "../auth.js";
import type { makePipeline } from "../pipeline.js";
import { errorResponses, removeInput, removeResponse, sourceQuery } from "../schemas.js";

export function removeRoutes(app: FastifyInstance, pipeline: ReturnType<typeof makePipeline>, auth: ReturnType<typeof makeAuthHooks>, rateLimit: object): void {
  app.post(
    "/api/v1/remove",
    {
      onRequest: auth.requireKey,
      config: { rateLimit, openapi: removeInput },
      schema: {
        summary: "Remove all metadata from an uploaded file or a URL; returns a download link",
        tags: ["remove"],
        consumes: ["multipart/form-data", "application/json"],
        querystring: sourceQuery,
        response: { 200: removeResponse, ...errorResponses },
      },
    },
    (request, reply) => pipeline.removal(request, reply),
  );
}
