import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { verify } from "../src/cleaners/clean-file.js";
import { BadFileError } from "../src/cleaners/errors.js";
import { gifCleaner } from "../src/cleaners/image/gif.js";
import { jpegCleaner } from "../src/cleaners/image/jpeg.js";
import { proveCopy } from "../src/cleaners/proof/index.js";
import { causeText } from "../src/errors.js";
import { deserializeError, serializeError } from "../src/isolation/serialize-error.js";
import { createExifToolPool, type ExifToolPool } from "../src/metadata/exiftool-pool.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * A refusal's log line says what was left: the service logs `causeText` of the refusal's cause
 * (src/http/error-handler.ts), and verification's cause names every tag left, also after the
 * error crossed the worker boundary. Checked with the real ExifTool on a real JPEG handed to
 * verification as if a cleaner had left it as it was.
 */

let pool: ExifToolPool;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "refusal-log-"));
  pool = await createExifToolPool({ EXIFTOOL_PROCS: 1, EXIFTOOL_TASK_TIMEOUT_SECONDS: 60 });
});

afterAll(async () => {
  await pool?.close();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function refusalOf(fileType: string, cleaner: typeof jpegCleaner, file: string): Promise<string> {
  const before = (await pool.access.read(file)).tags;
  // The structural proof runs where the copy is cleaned, handing its finding to verification.
  const proof = await proveCopy(file, fileType, new Set(), new Set());
  const err = await verify(pool.access, { fileType, cleaner }, before, file, new Set(), { proof }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BadFileError);
  expect((err as BadFileError).reason).toBe("The file's metadata could not be removed completely.");
  // Thrown in a worker, the same text reaches the main thread's log.
  const crossed = deserializeError(serializeError(err));
  expect(causeText(crossed.cause)).toBe(causeText((err as Error).cause));
  return causeText((err as Error).cause) ?? "";
}

describe("refusal log line", () => {
  test("a GIF still holding metadata (checked by ExifTool's re-read): the cause names each tag left", async () => {
    const file = path.join(dir, "left.gif");
    await run(CONVERT, ["-size", "16x16", "xc:#446688", file]);
    await exiftool(["-q", "-overwrite_original", "-XMP-dc:Creator=Left Behind", "-XMP-dc:Rights=Left Behind", file]);
    const line = await refusalOf("GIF", gifCleaner, file);
    expect(line).toContain("XMP:Creator");
    expect(line).toContain("XMP:Rights");
  });

  test("a JPEG still holding metadata (checked by the structural proof): the cause names the part left", async () => {
    const file = path.join(dir, "left.jpg");
    await run(CONVERT, ["-size", "16x16", "xc:#446688", file]);
    await exiftool(["-q", "-overwrite_original", "-EXIF:Artist=Left Behind", file]);
    const line = await refusalOf("JPEG", jpegCleaner, file);
    // The proof stops at the first part off its allow-list (here the JFIF APP0 ImageMagick writes).
    expect(line).toMatch(/jpeg left a part off the allow-list: segment 0xe[0-9a-f] /);
  });
});
