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

/** Each layer's Unicode name and id, its modification date beside the marker, and a private block holding it. */
const perLayer = (i: number): Buffer => Buffer.concat([
  layerBlock("luni", unicode(`Sketch ${i}`)),
  layerBlock("lyid", Buffer.from([0, 0, 0, 10 + i])),
  layerTimes(1_337_000_000 + i, `${MARKER} layer ${i}`),
  layerBlock("Xyzw", Buffer.from(`private ${MARKER} ${i}`)),
]);
/** The program's version beside the marker, in the compositor information. */
const versionBlock = layerBlock("cinf", descriptor("null", [["psVersion", `Photoshop 22 ${MARKER}`]]));
/** A smart object's link to a file in the author's home folder. */
const linkBlock = layerBlock("lnkE", externalFile("77aa-linked", `/Users/${MARKER}/Pictures/passport.jpg`));

describe("a layered TIFF's Photoshop layers (tag 37724)", () => {
  it.each([
    ["big-endian (as a Mac writes it)", false, Buffer.concat([linkBlock, versionBlock])],
    ["little-endian (as Photoshop for Windows writes it)", true, versionBlock],
  ])("%s stay, cleaned as a PSD's: the layers' dates, private blocks and links go; names, ids and pixels stay, and the picture", async (_, le, global) => {
    const dir = await fs.mkdtemp(path.join(tmp, "layers-"));
    const input = await makeLayeredTiff(dir, MARKER, perLayer, global, le);
    const before = await photoshopTags(input);
    expect(before["LayerCount"]).toBe(2);
    expect(before["LayerModifyDates"]).toBeDefined();
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
    expect(outputLayers.toString("latin1", 0, DOCUMENT_DATA_SIGNATURE.length + 8)).toBe(DOCUMENT_DATA_SIGNATURE + (le ? "MIB8ryaL" : "8BIMLayr"));
    expect(layerPixelData(outputLayers).length).toBeGreaterThan(0);
    expect(layerPixelData(outputLayers).equals(layerPixelData(inputLayers))).toBe(true);
    const after = await photoshopTags(output);
    expect(after["LayerModifyDates"]).toBeUndefined();
    for (const tag of ["LayerCount", "LayerNames", "LayerUnicodeNames", "LayerIDs", "LayerRectangles"]) expect(after[tag], tag).toEqual(before[tag]);
    expect(after["LayerUnicodeNames"]).toEqual(["Sketch 0", "Sketch 1"]);
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
    expect((body["removed"] as Record<string, number>)["externalLinks"]).toBe(le ? undefined : 1);
  });

  it("a smart object's block in little-endian layers, which the PSD walks read in a PSD's order only, makes the file refused, never handed back", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "le-link-"));
    const input = await makeLayeredTiff(dir, MARKER, () => Buffer.alloc(0), linkBlock, true);
    const { status, body } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(422);
  });

  it("a million blocks of layer information in one layer are refused as too complex, as in a PSD (the screen walks 200,000 block heads)", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "layer-blocks-"));
    const block = layerBlock("lyid", Buffer.from([0, 0, 0, 7]));
    const count = 1_000_000;
    const blocks = Buffer.alloc(block.length * count);
    for (let i = 0; i < count; i++) block.copy(blocks, i * block.length);
    const input = await makeLayeredTiff(dir, MARKER, (i) => (i === 0 ? blocks : Buffer.alloc(0)), Buffer.alloc(0));
    const { status, body } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
  });
});
