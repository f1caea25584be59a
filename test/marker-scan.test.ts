import zlib from "node:zlib";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import yazl from "yazl";
import { describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { run } from "./helpers/tools.js";

const M = "MkScan_7f3a91";

function zipOf(entries: Record<string, Buffer>, compress: boolean): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) z.addBuffer(data, name, { compress });
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    z.outputStream.on("data", (c: Buffer) => chunks.push(c));
    z.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    z.outputStream.on("error", reject);
  });
}

const pad = (b: Buffer): Buffer => Buffer.concat([Buffer.from("junk before\0\x01"), b, Buffer.from("\0junk after")]);

/** The helper every cleaner test trusts: each hiding place must be found. */
describe("findMarker", () => {
  it("is empty for a clean buffer", async () => {
    expect(await findMarker(pad(Buffer.from("nothing here")), M)).toEqual([]);
  });

  const hidden: [string, () => Promise<Buffer> | Buffer][] = [
    ["UTF-8", () => pad(Buffer.from(M))],
    ["UTF-16LE", () => pad(Buffer.from(M, "utf16le"))],
    ["UTF-16BE", () => pad(Buffer.from(M, "utf16le").swap16())],
    ["hex", () => pad(Buffer.from(`<${Buffer.from(M).toString("hex")}>`))],
    ["base64 at any alignment", () => pad(Buffer.from(Buffer.concat([Buffer.from("ab"), Buffer.from(M), Buffer.from("z")]).toString("base64")))],
    ["zlib", () => pad(zlib.deflateSync(Buffer.from(`x ${M} y`)))],
    ["gzip", () => pad(zlib.gzipSync(Buffer.from(`x ${M} y`)))],
    ["zlib in zlib", () => pad(zlib.deflateSync(pad(zlib.deflateSync(Buffer.from(M)))))],
    ["deflated zip entry", () => zipOf({ "a.xml": Buffer.from(`<a>${M}</a>`.repeat(3)) }, true)],
    ["zip in zip", async () => zipOf({ "inner.zip": await zipOf({ "b.txt": Buffer.from(M) }, true) }, true)],
  ];
  it.each(hidden)("finds the marker as %s", async (_name, make) => {
    expect((await findMarker(await make(), M)).length).toBeGreaterThan(0);
  });

  it("finds the marker inside a compressed PDF stream", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "ms-"));
    try {
      const content = `BT /F1 12 Tf 10 10 Td (${M}) Tj ET`;
      const pdf = [
        "%PDF-1.4",
        "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj",
        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R >> endobj",
        `4 0 obj << /Length ${content.length} >> stream\n${content}\nendstream endobj`,
        "trailer << /Root 1 0 R >>",
        "%%EOF",
      ].join("\n");
      await fsp.writeFile(path.join(dir, "a.pdf"), pdf);
      // Compress the streams so only the qdf (or zlib) pass can see the marker.
      await run("qpdf", ["--compress-streams=y", "--object-streams=generate", path.join(dir, "a.pdf"), path.join(dir, "b.pdf")], { okCodes: [3] });
      const bytes = await fsp.readFile(path.join(dir, "b.pdf"));
      expect(bytes.includes(M)).toBe(false);
      expect((await findMarker(bytes, M)).length).toBeGreaterThan(0);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
