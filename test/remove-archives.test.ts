import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { claimSize, extraField, gzipWithName, handZip, makeTar } from "./helpers/make-archives.js";
import { makeJpeg, makePng } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readTar, readZip } from "./helpers/read-archives.js";
import { postFile, startServer, type RunningServer } from "./helpers/server.js";
import { pixelSignature } from "./helpers/tools.js";

/*
 * Archives through POST /api/v1/remove (contract, "Archives"): every member is cleaned by its own
 * cleaner (the marker, planted in each member's metadata and in every archive field that can hold
 * text, is nowhere in the download, inflated layers included), names are kept, times, owners,
 * modes, comments and extra fields neutralised; members no cleaner handles follow
 * unknownMembers; links, encryption, names leaving the archive and bombs are refused.
 */

const MARKER = `ArcMark_${crypto.randomBytes(4).toString("hex")}`;

let server: RunningServer;
let dir: string;
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "remove-archives-"));
  server = await startServer();
  const jd = await fsp.mkdtemp(path.join(dir, "j-"));
  const pd = await fsp.mkdtemp(path.join(dir, "p-"));
  jpeg = await fsp.readFile(await makeJpeg(jd, MARKER));
  png = await fsp.readFile(await makePng(pd, MARKER));
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

interface Removal {
  status: number;
  body: Record<string, unknown>;
  cleaned: Buffer | null;
}

async function remove(bytes: Buffer, name: string, fields: Record<string, string> = {}): Promise<Removal> {
  const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name, data: bytes }, { headers: { "X-API-Key": server.apiKey }, fields });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) return { status: res.status, body, cleaned: null };
  const dl = await fetch(String(body["downloadUrl"]));
  expect(dl.status).toBe(200);
  return { status: res.status, body, cleaned: Buffer.from(await dl.arrayBuffer()) };
}

async function pixels(bytes: Buffer): Promise<string> {
  const file = path.join(dir, `px-${crypto.randomUUID()}`);
  await fsp.writeFile(file, bytes);
  return pixelSignature(file);
}

/** Refused with a 422 whose sentence matches `reason`; nothing handed back. */
async function expectRefused(bytes: Buffer, name: string, reason: RegExp, fields: Record<string, string> = {}): Promise<void> {
  const r = await remove(bytes, name, fields);
  expect(r.status, JSON.stringify(r.body)).toBe(422);
  expect(String(r.body["error"])).toMatch(reason);
  expect(r.cleaned).toBeNull();
}

describe("ZIP", () => {
  test("every member cleaned by its own cleaner, names kept, times, comments, modes and extra fields neutralised", async () => {
    const inner = handZip([{ name: "deep.jpg", data: jpeg, comment: MARKER }], MARKER);
    const owner = Buffer.alloc(11);
    owner.writeUInt8(1, 0);
    owner.writeUInt8(4, 1);
    owner.writeUInt32LE(1234, 2);
    owner.writeUInt8(4, 6);
    owner.writeUInt32LE(1234, 7);
    const archive = handZip(
      [
        { name: "photo.jpg", data: jpeg, comment: MARKER, extra: extraField(0xcafe, Buffer.from(MARKER)), mode: 0o100600 },
        { name: "sub dir/", directory: true, comment: MARKER },
        { name: "sub dir/été ünï.png", data: png, extra: extraField(0x7875, owner) },
        { name: "inner.zip", data: inner },
      ],
      MARKER,
    );
    expect(await findMarker(archive, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await remove(archive, "bundle.zip");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);

    const out = await readZip(cleaned!);
    expect(out.comment).toBe("");
    expect(out.members.map((m) => m.name)).toEqual(["photo.jpg", "sub dir/", "sub dir/été ünï.png", "inner.zip"]);
    for (const m of out.members) {
      expect(m.comment, m.name).toBe("");
      expect(m.extraFieldLength, m.name).toBe(0);
      // 1980-01-01 00:00:00, the earliest DOS date.
      expect([m.dosDate, m.dosTime], m.name).toEqual([(0 << 9) | (1 << 5) | 1, 0]);
      expect(m.mode & 0o7777, m.name).toBe(m.name.endsWith("/") ? 0o755 : 0o644);
    }
    const byName = new Map(out.members.map((m) => [m.name, m.data]));
    expect(await pixels(byName.get("photo.jpg")!)).toBe(await pixels(jpeg));
    expect(await pixels(byName.get("sub dir/été ünï.png")!)).toBe(await pixels(png));
    const deep = await readZip(byName.get("inner.zip")!);
    expect(deep.members.map((m) => m.name)).toEqual(["deep.jpg"]);
    expect(await pixels(deep.members[0]!.data)).toBe(await pixels(jpeg));
    expect(body["remaining"]).toEqual({});
  });

  describe("members no cleaner handles", () => {
    const notes = Buffer.from(`<?xml version='1.0'?><notes>Meeting notes, written by ${MARKER}</notes>\n`);
    const archive = () => handZip([{ name: "photo.jpg", data: jpeg }, { name: "notes/todo.xml", data: notes }]);

    test("refuse (the default): 422 naming each of them", async () => {
      await expectRefused(archive(), "a.zip", /notes\/todo\.xml \(XML\)/);
      await expectRefused(archive(), "a.zip", /cannot be cleaned/, { unknownMembers: "refuse" });
    });

    test("omit: dropped, and counted in removed.members", async () => {
      const { status, body, cleaned } = await remove(archive(), "a.zip", { unknownMembers: "omit" });
      expect(status, JSON.stringify(body)).toBe(200);
      expect((await readZip(cleaned!)).members.map((m) => m.name)).toEqual(["photo.jpg"]);
      expect((body["removed"] as Record<string, number>)["members"]).toBe(1);
      expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    });

    test("keep: kept unchanged, and listed in remaining", async () => {
      const { status, body, cleaned } = await remove(archive(), "a.zip", { unknownMembers: "keep" });
      expect(status, JSON.stringify(body)).toBe(200);
      const out = await readZip(cleaned!);
      expect(out.members.map((m) => m.name)).toEqual(["photo.jpg", "notes/todo.xml"]);
      expect(out.members[1]!.data.equals(notes)).toBe(true);
      expect(await findMarker(out.members[0]!.data, MARKER)).toEqual([]);
      expect(Object.keys((body["remaining"] as Record<string, Record<string, unknown>>)["members"] ?? {})).toEqual(["notes/todo.xml"]);
    });

    test("a mode that does not exist is a 400", async () => {
      const r = await remove(archive(), "a.zip", { unknownMembers: "maybe" });
      expect(r.status).toBe(400);
      expect(String(r.body["error"])).toMatch(/^Invalid request parameters: unknownMembers accepts refuse, omit, keep/);
    });
  });

  test.each([
    ["a name leading outside", [{ name: "../evil.jpg", data: jpeg }], /leads outside/],
    ["an absolute name", [{ name: "/etc/evil.jpg", data: jpeg }], /absolute name/],
    ["a drive letter", [{ name: "C:/evil.jpg", data: jpeg }], /absolute name/],
    ["a symbolic link", [{ name: "link.jpg", data: Buffer.from("/etc/passwd"), mode: 0o120777 }], /link/],
    ["an encrypted member", [{ name: "secret.jpg", data: jpeg, encrypted: true }], /encrypted/],
    ["two members of one name", [{ name: "a.jpg", data: jpeg }, { name: "a.jpg", data: jpeg }], /two members named/],
    ["an imploded member (PKZIP 1's method 6)", [{ name: "old.jpg", data: jpeg, method: 6 }], /^The ZIP holds a member compressed with a method this service cannot unpack \(implode\)\.$/],
    ["a bzip2 member (method 12)", [{ name: "packed.jpg", data: jpeg, method: 12 }], /cannot unpack \(bzip2\)\.$/],
  ] as const)("refuses %s with a 422", async (_what, members, reason) => {
    await expectRefused(handZip(members), "bad.zip", reason);
  });

  test("members written by a streaming writer (sizes in a data descriptor after the data, as Java's jar and `zip -` write) are read and cleaned", async () => {
    const archive = handZip([
      { name: "photo.jpg", data: jpeg, deflate: true, descriptor: true },
      { name: "pic.png", data: png, descriptor: true },
    ]);
    const r = await remove(archive, "streamed.zip");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body["remaining"]).toEqual({});
    expect(await findMarker(r.cleaned!, MARKER)).toEqual([]);
    const [photo, pic] = (await readZip(r.cleaned!)).members;
    expect([photo!.name, pic!.name]).toEqual(["photo.jpg", "pic.png"]);
    expect(await pixels(photo!.data)).toBe(await pixels(jpeg));
    expect(await pixels(pic!.data)).toBe(await pixels(png));
  });

  test("a member claiming to unpack past the budget is refused as too complex before it is unpacked", async () => {
    const bomb = handZip([{ name: "zeros.jpg", data: Buffer.alloc(1 << 20), deflate: true, claimedSize: 0xfffffff0 }]);
    await expectRefused(bomb, "bomb.zip", /^The file is too complex to process within this service's limits\.$/);
  });

  test("more members than the budget allows is refused as too complex", async () => {
    // One more than the request's inner files (src/cleaners/inner-budget.ts), none of them cleaned yet.
    const many = handZip(Array.from({ length: 1_001 }, (_, i) => ({ name: `e${i}.jpg` })));
    await expectRefused(many, "many.zip", /too complex/);
  });
});

/** A gzip of `mib` mebibytes of zeros (about a thousandth of that), made without holding them. */
async function gzippedZeros(mib: number): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const chunks: Buffer[] = [];
  await pipeline(Readable.from(Array.from({ length: mib }, () => zeros)), zlib.createGzip({ level: 1 }), async (gz: AsyncIterable<Buffer>) => {
    for await (const c of gz) chunks.push(c);
  });
  return Buffer.concat(chunks);
}

describe("tar and tar.gz", () => {
  const members = () => [
    { name: "photo.jpg", data: jpeg, owner: MARKER, pax: { comment: MARKER, "SCHILY.xattr.user.origin": MARKER } },
    { name: "sub dir/", type: "directory" as const, owner: MARKER },
    { name: "sub dir/été ünï.png", data: png, owner: MARKER },
  ];

  function expectNeutral(entries: Awaited<ReturnType<typeof readTar>>): void {
    expect(entries.map((e) => e.header.name)).toEqual(["photo.jpg", "sub dir/", "sub dir/été ünï.png"]);
    for (const { header: h } of entries) {
      expect([h.uid, h.gid, h.uname, h.gname, h.mtime?.getTime()], h.name).toEqual([0, 0, "", "", 0]);
      expect(h.mode, h.name).toBe(h.type === "directory" ? 0o755 : 0o644);
      // tar-stream writes a name ustar cannot hold (non-ASCII) as a pax `path` record: nothing else.
      expect(h.pax ?? { path: h.name }, h.name).toEqual({ path: h.name });
    }
  }

  test("tar: members cleaned, names kept, owners, times, modes and pax records neutralised", async () => {
    const tar = await makeTar(members());
    expect(await findMarker(tar, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await remove(tar, "bundle.tar");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const out = await readTar(cleaned!);
    expectNeutral(out);
    expect(await pixels(out[0]!.data)).toBe(await pixels(jpeg));
    expect(await pixels(out[2]!.data)).toBe(await pixels(png));
  });

  test("tar.gz: the same inside, and a gzip header without name or time", async () => {
    const tgz = gzipWithName(await makeTar(members()), `${MARKER}.tar`);
    const { status, body, cleaned } = await remove(tgz, "bundle.tar.gz");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    // FLG without FNAME/FCOMMENT/FEXTRA, MTIME 0.
    expect(cleaned!.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 8]));
    expect(cleaned![3]).toBe(0);
    expect(cleaned!.readUInt32LE(4)).toBe(0);
    const out = await readTar(cleaned!, true);
    expectNeutral(out);
    expect(await pixels(out[0]!.data)).toBe(await pixels(jpeg));
  });

  test("a gzip of one file: the file cleaned by its own cleaner, a gzip header without name or time", async () => {
    const gz = gzipWithName(jpeg, `${MARKER}.jpg`);
    expect(await findMarker(gz, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await remove(gz, "photo.jpg.gz");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect([...cleaned!.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(cleaned!.readUInt32LE(4)).toBe(0);
    const inner = zlib.gunzipSync(cleaned!);
    expect(inner.length).toBeLessThan(jpeg.length);
    expect(await pixels(inner)).toBe(await pixels(jpeg));
  });

  test("a gzip of a file no cleaner handles follows unknownMembers; a gzip bomb is too complex", async () => {
    const text = Buffer.from(`<?xml version='1.0'?><notes>notes by ${MARKER}</notes>\n`);
    await expectRefused(gzipWithName(text, "notes.xml"), "notes.xml.gz", /^The archive holds members that cannot be cleaned: the compressed file \(XML\)\.$/);
    const kept = await remove(gzipWithName(text, "notes.xml"), "notes.xml.gz", { unknownMembers: "keep" });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(zlib.gunzipSync(kept.cleaned!)).toEqual(text);
    expect(kept.cleaned!.includes("notes.xml")).toBe(false);
    const omitted = await remove(gzipWithName(text, "notes.xml"), "notes.xml.gz", { unknownMembers: "omit" });
    expect(omitted.status, JSON.stringify(omitted.body)).toBe(200);
    expect(omitted.body["removed"]).toMatchObject({ members: 1 });
    expect(zlib.gunzipSync(omitted.cleaned!).length).toBe(0);

    await expectRefused(await gzippedZeros(600), "zeros.bin.gz", /too complex/);
  });

  test.each([
    ["a symbolic link", [{ name: "link.jpg", type: "symlink" as const, linkname: "/etc/passwd" }], /link/],
    ["a hard link", [{ name: "photo.jpg", data: jpeg }, { name: "again.jpg", type: "link" as const, linkname: "photo.jpg" }], /link/],
    ["a name leading outside", [{ name: "../../evil.jpg", data: jpeg }], /leads outside/],
  ] as const)("refuses %s with a 422", async (_what, list, reason) => {
    await expectRefused(await makeTar(list), "bad.tar", reason);
  });

  test("a member claiming to unpack past the budget is refused as too complex", async () => {
    const bomb = claimSize(await makeTar([{ name: "zeros.jpg", data: Buffer.from("x") }]), 600 * 1024 * 1024);
    await expectRefused(bomb, "bomb.tar", /too complex/);
    await expectRefused(zlib.gzipSync(bomb), "bomb.tar.gz", /too complex/);
  });
});
