import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-images.js";
import { embeddedFile, externalFile, layerBlock, makeLayeredPsd } from "./helpers/make-psd-layers.js";
import { postFile, ROOT, type RunningServer, startServer } from "./helpers/server.js";

interface Finding {
  kind: string;
  severity: string;
  title: string;
  value?: string;
}

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "psd-findings-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function findingsOf(file: string): Promise<Finding[]> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body["findings"] as Finding[];
}

// ExifTool does not read smart objects: their files are found as an office document's pictures
// and a ZIP's members are, by name (their own metadata is not read, for those either).
describe("findings of a Photoshop document's smart objects", () => {
  it("a placed photo embedded whole is an embedded file, by its original name; a link to a file on the author's disk is hidden content", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "built-"));
    const jpeg = await fs.readFile(await makeJpeg(await fs.mkdtemp(path.join(tmp, "jpeg-")), "PsdFindingMark"));
    const global = Buffer.concat([
      layerBlock("lnk2", embeddedFile("5d0f1d2e-placed", "holiday-in-rome.jpg", "JPEG", jpeg, "xmp.did:1")),
      layerBlock("lnkE", externalFile("77aa-linked", "/Users/jane/Pictures/passport.jpg")),
    ]);
    const input = await makeLayeredPsd(dir, "PsdFindingMark", () => Buffer.alloc(0), global);

    const findings = await findingsOf(input);
    expect(findings.find((f) => f.kind === "embedded")).toMatchObject({ severity: "medium", value: "holiday-in-rome.jpg" });
    expect(findings.find((f) => f.kind === "hidden" && /links to 1 file/.test(f.title))).toMatchObject({ value: "passport.jpg" });
  });

  it("psd-tools' PSB with a placed PNG and two linked files (fixture) lists all three", async () => {
    const findings = await findingsOf(path.join(ROOT, "test", "fixtures", "psd", "placed-layer.psb"));
    expect(findings.find((f) => f.kind === "embedded")).toMatchObject({ title: expect.stringMatching(/contains 1 other file/), value: "linked-layer.png" });
    expect(findings.find((f) => f.kind === "hidden" && /links to 2 file/.test(f.title))).toBeDefined();
  });

  it("a document without smart objects has no such finding", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "plain-"));
    const input = await makeLayeredPsd(dir, "PsdFindingMark", () => Buffer.alloc(0), Buffer.alloc(0));
    const findings = await findingsOf(input);
    expect(findings.filter((f) => f.kind === "embedded" || /links to/.test(f.title))).toEqual([]);
  });
});
