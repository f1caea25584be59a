import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCUMENT_DATA_SIGNATURE, layerPixelData, makeLayeredTiff } from "./helpers/make-layered-tiff.js";
import { descriptor, externalFile, layerBlock, layerTimes, unicode } from "./helpers/make-psd-layers.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { EXIFTOOL, exiftool, pixelSignature, run } from "./helpers/tools.js";

/*
 * A TIFF Photoshop saved with its layers keeps them in tag 37724 (ImageSourceData). Removal
 * dropped the tag, and with it the layers a user gets back in Photoshop, while the picture stayed.
 * The layers are kept now, cleaned by the PSD cleaner's rules (psd-document-data.ts): the layers'
 * own metadata goes, their names, ids and pixels stay.
 */

const MARKER = "TiffLayerMark_K4w9Rj";

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "remove-tiff-layers-"));
});

afterAll(async () => {
  await server?.stop();
  if (tmp != null) await fs.rm(tmp, { recursive: true, force: true });
});

/** Tag 37724's value, as ExifTool extracts it (empty when the file has none). */
async function imageSourceData(file: string): Promise<Buffer> {
  return (await run(EXIFTOOL, ["-b", "-ImageSourceData", file])).stdout;
}

async function photoshopTags(file: string): Promise<Record<string, unknown>> {
  return (JSON.parse(await exiftool(["-j", "-u", "-Photoshop:all", file])) as Array<Record<string, unknown>>)[0]!;
}

describe("a layered TIFF's Photoshop layers (tag 37724)", () => {
  it("stay, cleaned as a PSD's: the layers' dates, private blocks and links go; names, ids and pixels stay, and the picture", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "layers-"));
    const perLayer = (i: number): Buffer => Buffer.concat([
      layerBlock("luni", unicode(`Sketch ${i}`)),
      layerBlock("lyid", Buffer.from([0, 0, 0, 10 + i])),
      layerTimes(1_337_000_000 + i, `${MARKER} layer ${i}`),
      layerBlock("Xyzw", Buffer.from(`private ${MARKER} ${i}`)),
    ]);
    const global = Buffer.concat([
      layerBlock("lnkE", externalFile("77aa-linked", `/Users/${MARKER}/Pictures/passport.jpg`)),
      layerBlock("cinf", descriptor("null", [["psVersion", `Photoshop 22 ${MARKER}`]])),
    ]);
    const input = await makeLayeredTiff(dir, MARKER, perLayer, global);
    const before = await photoshopTags(input);
    expect(before["LayerCount"]).toBe(2);
    expect(String(before["LayerModifyDates"])).toMatch(/^2012:/);
    const inputLayers = await imageSourceData(input);
    expect(inputLayers.toString("latin1", 0, DOCUMENT_DATA_SIGNATURE.length)).toBe(DOCUMENT_DATA_SIGNATURE);
    expect(await findMarker(inputLayers, MARKER)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const output = path.join(dir, "cleaned.tif");
    await fs.writeFile(output, cleaned!);

    expect(await findMarker(output, MARKER)).toEqual([]);
    const outputLayers = await imageSourceData(output);
    expect(outputLayers.toString("latin1", 0, DOCUMENT_DATA_SIGNATURE.length)).toBe(DOCUMENT_DATA_SIGNATURE);
    expect(layerPixelData(outputLayers).length).toBeGreaterThan(0);
    expect(layerPixelData(outputLayers).equals(layerPixelData(inputLayers))).toBe(true);
    const after = await photoshopTags(output);
    expect(after["LayerModifyDates"]).toBeUndefined();
    for (const tag of ["LayerCount", "LayerNames", "LayerUnicodeNames", "LayerIDs", "LayerRectangles"]) expect(after[tag], tag).toEqual(before[tag]);
    expect(after["LayerUnicodeNames"]).toEqual(["Sketch 0", "Sketch 1"]);
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
    expect((body["removed"] as Record<string, number>)["externalLinks"]).toBe(1);
  });
});
