import type { FastifyRequest } from "fastify";
import { sanitizeFileName } from "../intake/file-name.js";
import { DEFAULT_REMOTE_FILE_NAME } from "../intake/remote-file-name.js";
import type { LocalFile } from "../metadata/extract.js";
import type { Services } from "../services.js";
import { readRequestInput } from "./request-input.js";

/**
 * Intake for both POST endpoints: reads the request's source (upload or URL) into a temp file,
 * runs `work` on it, and removes the temp file whatever happens.
 */
export async function withLocalFile<T>(
  request: FastifyRequest,
  services: Services,
  work: (file: LocalFile, options: Record<string, string>) => Promise<T>,
): Promise<T> {
  const { temp, fetcher } = services;
  const input = await readRequestInput(request, temp);
  let file: LocalFile;
  if (input.source.kind === "file") {
    const f = input.source.file;
    file = { path: f.path, name: sanitizeFileName(f.clientName), size: f.size, unnamed: false };
  } else {
    const dest = temp.newPath();
    try {
      const fetched = await fetcher.fetchToFile(input.source.url, dest);
      file = { path: dest, name: fetched.fileName, size: fetched.size, unnamed: fetched.fileName === DEFAULT_REMOTE_FILE_NAME };
    } catch (err) {
      await temp.remove(dest);
      throw err;
    }
  }
  try {
    return await work(file, input.options);
  } finally {
    await temp.remove(file.path);
  }
}
