import crypto from "node:crypto";
import fsp from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { cleanFile } from "../../cleaners/clean-file.js";
import { displayName } from "../../metadata/extract.js";
import { findingsOf } from "../../metadata/findings/index.js";
import { readBeforeCleaning } from "../../metadata/read-for-cleaning.js";
import type { Services } from "../../services.js";
import type { makeAuthHooks } from "../auth.js";
import { parseKeep, parseUnknownMembersOption } from "../request-input.js";
import { errorResponses, removeInput, removeResponse, sourceQuery } from "../schemas.js";
import { withLocalFile } from "../with-local-file.js";

export function removeRoutes(app: FastifyInstance, services: Services, auth: ReturnType<typeof makeAuthHooks>, rateLimit: object): void {
  const { config, temp, blobs, cleanedFiles, pool } = services;
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
    async (request) =>
      withLocalFile(request, services, async (file, options) => {
        const keep = parseKeep(options);
        const unknownMembers = parseUnknownMembersOption(options);
        const started = performance.now();
        const before = await readBeforeCleaning(pool.access, file.path);
        const fileName = displayName(file, before.tags);
        const output = temp.newPath();
        try {
          const result = await cleanFile({ exiftool: pool.access, input: file.path, output, workDir: temp.dir, keep, unknownMembers, before: before.tags });
          app.metrics.cleaned(result.fileType, file.size, started);
          const { size } = await fsp.stat(output);
          const uuid = crypto.randomUUID();
          const now = new Date();
          const expiresAt = new Date(now.getTime() + config.downloadTtlMs).toISOString();
          await blobs.put(uuid, output);
          await cleanedFiles.save({
            uuid,
            apiKeyId: request.apiKeyId,
            fileName,
            mimeType: result.mimeType,
            size,
            storageKey: uuid,
            createdAt: now.toISOString(),
            expiresAt,
          });
          request.log.info({ cleaner: result.cleaner, fileType: result.fileType, removed: result.removed }, "file cleaned");
          return {
            success: true,
            status: "completed",
            uuid,
            fileName,
            downloadUrl: `${config.PUBLIC_BASE_URL}/download-cleaned/${uuid}`,
            expiresAt,
            removed: result.removed,
            remaining: result.remaining,
            findings: await findingsOf(before.tags, file.path),
          };
        } finally {
          await temp.remove(output);
        }
      }),
  );
}
