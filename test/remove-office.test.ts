import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DOMParser, XMLSerializer, type Element } from "@xmldom/xmldom";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cleanFile } from "../src/cleaners/clean-file.js";
import { AppError } from "../src/errors.js";
import { createExifToolPool, type ExifToolPool } from "../src/metadata/exiftool-pool.js";
import { makeBombDocx, makeMarkedJpeg, makeOffice, RSID, type OfficeKind } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";

/*
 * Office removal, table-driven: each document is built by hand (see helpers/make-office.ts) with a
 * marker in every metadata field the format has and a JPEG whose EXIF Artist holds it; after
 * cleaning the marker is nowhere (raw, UTF-16, inside every zip entry and zlib stream), the
 * body XML is the same once the metadata attributes are set aside, and the package is valid.
 */

let pool: ExifToolPool;
let dir: string;

beforeAll(async () => {
  pool = await createExifToolPool({ EXIFTOOL_PROCS: 1, EXIFTOOL_TASK_TIMEOUT_SECONDS: 60 });
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "remove-office-"));
});

afterAll(async () => {
  await pool?.close();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function clean(bytes: Buffer, name: string): Promise<{ out: Buffer; remaining: unknown; removed: Record<string, number> }> {
  const input = path.join(dir, `${name}-in`);
  const output = path.join(dir, `${name}-out`);
  const workDir = path.join(dir, `${name}-work`);
  await fsp.writeFile(input, bytes);
  await fsp.mkdir(workDir);
  const r = await cleanFile({ exiftool: pool.exiftool, input, output, workDir, keep: new Set() });
  return { out: await fsp.readFile(output), remaining: r.remaining, removed: r.removed };
}

const KINDS: readonly OfficeKind[] = ["docx", "odt", "xlsx", "pptx", "ods", "odp"];

describe("office metadata removal", () => {
  test.each(KINDS)("%s: marker gone, body unchanged, package valid", async (kind) => {
    const marker = `MRK${kind}${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    expect(await findMarker(fx.bytes, marker)).not.toEqual([]);

    const { out, remaining, removed } = await clean(fx.bytes, kind);

    expect(await findMarker(out, marker)).toEqual([]);
    expect(await findMarker(out, RSID)).toEqual([]);
    expect(remaining).toEqual({});
    expect(Object.values(removed).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);

    const before = await unzip(fx.bytes);
    const after = await unzip(out);
    expect(body(after.get(fx.bodyPart)!.data)).toBe(body(before.get(fx.bodyPart)!.data));
    expect(after.has(fx.imagePart)).toBe(true);
    for (const e of after.values()) {
      expect(e.comment).toBe("");
      expect(e.extraFieldLength).toBe(0);
      expect(e.mtime).toBe("1980-01-01T00:00:00");
    }
    if (kind.startsWith("od")) expectValidOdf(after);
    else expectValidOoxml(after);
  });

  test("a decompression bomb is refused quickly, with bounded memory", async () => {
    for (const lie of [true, false]) {
      const started = Date.now();
      const heap = process.memoryUsage().rss;
      const err = await clean(await makeBombDocx(200 * 1024 * 1024, lie), `bomb-${lie}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("unprocessable");
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(process.memoryUsage().rss - heap).toBeLessThan(150 * 1024 * 1024);
    }
  });
});

interface Unzipped {
  index: number;
  data: Buffer;
  compressionMethod: number;
  comment: string;
  extraFieldLength: number;
  mtime: string;
}

function unzip(bytes: Buffer): Promise<Map<string, Unzipped>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err != null) return reject(err);
      const entries = new Map<string, Unzipped>();
      zip.on("error", reject);
      zip.on("end", () => resolve(entries));
      zip.on("entry", (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, stream) => {
          if (err2 != null) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            const d = e.getLastModDate();
            const mtime = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
            const comment = e.fileComment.toString();
            entries.set(e.fileName, { index: entries.size, data: Buffer.concat(chunks), compressionMethod: e.compressionMethod, comment, extraFieldLength: e.extraFieldLength, mtime });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

const pad = (n: number): string => String(n).padStart(2, "0");

/**
 * The body as a person reads it: the XML with the metadata the cleaner may change set aside
 * (revision ids, who and when of comments and changes), serialised the same way on both sides.
 */
function body(xml: Buffer): string {
  const doc = new DOMParser().parseFromString(xml.toString("utf8"), "application/xml");
  const drop = /^(rsid.*|paragraph-rsid|author|date|dateUtc|initials|dt|uid)$/;
  const walk = (el: Element): void => {
    for (const a of Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!)) {
      if (drop.test(a.localName ?? a.name)) el.removeAttributeNode(a);
    }
    for (const c of Array.from(el.childNodes)) {
      if (c.nodeType !== 1) continue;
      const child = c as Element;
      if (/^(dc:creator|dc:date|meta:creator-initials)$/.test(child.nodeName)) el.removeChild(child);
      else walk(child);
    }
  };
  walk(doc.documentElement!);
  return new XMLSerializer().serializeToString(doc);
}

function expectValidOdf(entries: Map<string, Unzipped>): void {
  const mimetype = entries.get("mimetype");
  expect(mimetype?.index).toBe(0);
  expect(mimetype?.compressionMethod).toBe(0);
  const manifest = entries.get("META-INF/manifest.xml")!.data.toString("utf8");
  for (const m of manifest.matchAll(/full-path="([^"]+)"/g)) {
    const p = m[1]!;
    if (p !== "/") expect(entries.has(p), `manifest lists ${p}`).toBe(true);
  }
  for (const gone of ["meta.xml", "Thumbnails/thumbnail.png"]) expect(entries.has(gone)).toBe(false);
}

function expectValidOoxml(entries: Map<string, Unzipped>): void {
  expect(entries.get("[Content_Types].xml")?.index).toBe(0);
  for (const [name, e] of entries) {
    if (!name.endsWith(".rels")) continue;
    const source = name.replace(/_rels\/([^/]*)\.rels$/, "$1");
    for (const m of e.data.toString("utf8").matchAll(/<Relationship [^>]*>/g)) {
      const tag = m[0];
      if (tag.includes('TargetMode="External"')) continue;
      const target = /Target="([^"]+)"/.exec(tag)![1]!;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(source), target));
      expect(entries.has(resolved), `${name} -> ${resolved}`).toBe(true);
    }
  }
  const types = entries.get("[Content_Types].xml")!.data.toString("utf8");
  for (const m of types.matchAll(/PartName="\/([^"]+)"/g)) expect(entries.has(m[1]!), `override ${m[1]}`).toBe(true);
  for (const name of entries.keys()) expect(name.startsWith("docProps/") || name.startsWith("customXml/")).toBe(false);
}
