import { create as contentDisposition } from "content-disposition";
import type { FastifyInstance } from "fastify";
import { AppError } from "../../errors.js";
import type { Services } from "../../services.js";
import { errorResponse, uuidParams } from "../schemas.js";
import { uuidParam } from "../uuid-param.js";

const PRESIGNED_SECONDS = 300;

export function downloadRoutes(app: FastifyInstance, services: Services): void {
  app.get(
    "/download-cleaned/:uuid",
    {
      schema: {
        summary: "Download a cleaned file (no key needed: the UUID is the capability)",
        tags: ["remove"],
        params: uuidParams,
        produces: ["application/octet-stream"],
        response: {
          200: { description: "The cleaned file's bytes", type: "string", format: "binary" },
          404: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const { uuid } = request.params as { uuid: string };
      const id = uuidParam(uuid);
      const record = id == null ? null : await services.cleanedFiles.findLive(id, new Date());
      if (record == null) throw new AppError("download_not_found");
      const disposition = contentDisposition(record.fileName, { type: "attachment" });
      if (services.blobs.signedDownloadUrl != null) {
        // The link never outlives the download itself, and is short so a leaked one is soon useless.
        const secondsLeft = Math.floor((Date.parse(record.expiresAt) - Date.now()) / 1000);
        const expiresInSeconds = Math.max(1, Math.min(PRESIGNED_SECONDS, secondsLeft));
        const url = await services.blobs.signedDownloadUrl(record.storageKey, { mimeType: record.mimeType, contentDisposition: disposition, expiresInSeconds });
        return reply.header("Cache-Control", "private, no-store").redirect(url, 302);
      }
      const stream = await services.blobs.get(record.storageKey).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new AppError("download_not_found");
        throw err;
      });
      return reply
        .header("Content-Type", record.mimeType)
        .header("Content-Length", String(record.size))
        .header("Content-Disposition", disposition)
        // A cleaned SVG or HTML-looking file must never run as a page on our origin.
        .header("Content-Security-Policy", "default-src 'none'; sandbox")
        .header("Cache-Control", "private, no-store")
        .send(stream);
    },
  );
}
