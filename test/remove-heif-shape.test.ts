import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heifCleaner } from "../src/cleaners/image/heif.js";
import { isDescriptive } from "../src/cleaners/keep.js";
import { heifShapeHolds } from "../src/cleaners/proof/heif-proof.js";
import type { FoundTag } from "../src/cleaners/types.js";
import { heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { ownBox } from "./helpers/plant-boxes.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Heifmark${crypto.randomBytes(6).toString("hex")}`;
/** The service's cleaned copies, as the API hands them back. */
const cleaned: Record<"HEIC" | "AVIF", Buffer> = { HEIC: Buffer.alloc(0), AVIF: Buffer.alloc(0) };
const originals: Record<"HEIC" | "AVIF", string> = { HEIC: "", AVIF: "" };

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-shape-"));
  server = await startServer();
  for (const [type, kind] of [["HEIC", "heic"], ["AVIF", "avif"]] as const) {
    const sub = path.join(dir, kind);
    await fs.mkdir(sub);
    originals[type] = await makeHeif(sub, MARKER, kind);
    const r = await removeViaApi(server, originals[type], `photo.${kind}`);
    expect(r.status).toBe(200);
    cleaned[type] = r.cleaned!;
  }
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, data: Buffer): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, data);
  return file;
}

/** The payload offset of the first box of `type` found by scanning for its name (small generated files). */
function boxPayload(buf: Buffer, type: string): number {
  const at = buf.indexOf(type, 0, "latin1");
  if (at < 4) throw new Error(`no ${type} box`);
  return at + 4;
}

describe("verification of a cleaned HEIC/AVIF skips the ExifTool re-read only when the copy's shape leaves it nothing to find", () => {
  it.each(["HEIC", "AVIF"] as const)("holds for the service's clean %s, not for the original; ExifTool's -ee read of that copy finds only structure", async (type) => {
    expect(await heifShapeHolds(originals[type], type)).toBe(false);
    const out = await write(`clean.${type}`, cleaned[type]);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await heifShapeHolds(out, type)).toBe(true);
    expect(await heifShapeHolds(out, type === "HEIC" ? "AVIF" : "HEIC")).toBe(false);
    // What the skipped re-read would have said: nothing but the file's own structure.
    const [tags] = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", "-a", out])) as Array<Record<string, unknown>>;
    const leftovers = Object.entries(tags!)
      .map(([key, value]) => ({ group: key.split(":")[0]!, tag: key.split(":")[1] ?? "", value: value as FoundTag["value"] }))
      .filter((t) => t.tag !== "" && !isDescriptive(t.group, t.tag) && !heifCleaner.isStructural(t));
    expect(leftovers).toEqual([]);
    expect(await heifPixelSignature(out)).toBe(await heifPixelSignature(originals[type]));
  });

  // What a faulty cleaner could leave in the copy: the check must send each to the re-read.
  it.each([
    ["a top-level uuid box", (b: Buffer) => Buffer.concat([b, ownBox("uuid", `0123456789abcdef${MARKER}`)])],
    ["a top-level box of its own", (b: Buffer) => Buffer.concat([b, ownBox("xmrk", MARKER)])],
    ["a free box that is not blank", (b: Buffer) => Buffer.concat([b, ownBox("free", MARKER)])],
    ["a handler name", (b: Buffer) => {
      b.write("C", boxPayload(b, "hdlr") + 24, "latin1");
      return b;
    }],
    ["a picture item turned into a preview ExifTool would extract", (b: Buffer) => {
      b.write("jpeg", b.indexOf("hvc1", boxPayload(b, "iinf"), "latin1"), "latin1");
      return b;
    }],
    ["an item name", (b: Buffer) => {
      // The Exif item's entry: version 2, id, protection index, type, then its (empty) name.
      const at = b.indexOf("Exif", boxPayload(b, "iinf"), "latin1");
      b.write("N", at + 4, "latin1");
      return b;
    }],
    ["an SEI unit among the codec's parameter sets", (b: Buffer) => {
      b[boxPayload(b, "hvcC") + 23] = 39;
      return b;
    }],
  ] as const)("does not hold for a HEIC with %s", async (_name, plant) => {
    const out = await write("planted.heic", plant(Buffer.from(cleaned.HEIC)));
    expect(await heifShapeHolds(out, "HEIC")).toBe(false);
  });

  it("refuses or cleans a HEIC whose own top-level box carries metadata no tool knows", async () => {
    const file = await write("unknown-box.heic", Buffer.concat([await fs.readFile(originals.HEIC), ownBox("xmrk", MARKER)]));
    const r = await removeViaApi(server, file, "unknown-box.heic");
    if (r.status === 200) expect(await findMarker(await write("out.heic", r.cleaned!), MARKER)).toEqual([]);
    else expect(r.status).toBe(422);
  });
});
