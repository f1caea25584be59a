import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpegWithC2pa, jpegWithZipAfterEnd, pdfWithAttachmentAndScript, picture, plainTextPdf, pngWithText, withThumbnail } from "./helpers/make-findings.js";
import { makeOldJpegTiff } from "./helpers/make-old-jpeg-tiff.js";
import { makeMarkedJpeg, makeOffice } from "./helpers/make-office.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { CONVERT, EXIFTOOL, run } from "./helpers/tools.js";

interface Finding {
  kind: string;
  severity: string;
  title: string;
  tags: string[];
  value?: string;
}
type Json = Record<string, any>;

let server: RunningServer;
let dir: string;

async function post(endpoint: "extract" | "remove", file: string): Promise<Json> {
  const res = await postFile(`${server.baseUrl}/api/v1/${endpoint}`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as Json;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function findingsOf(file: string): Promise<Finding[]> {
  return (await post("extract", file))["findings"] as Finding[];
}

const RANK = { high: 0, medium: 1, low: 2 } as const;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-findings-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("findings in the extract response", () => {
  it("gives the GPS position in decimal degrees, the serial numbers and owner, and a high finding for a thumbnail of another picture", async () => {
    const main = await picture(dir, "photo.jpg");
    const other = await picture(dir, "other.png", "gradient:red-blue");
    await withThumbnail(dir, main, other, [
      "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=W",
      "-Make=Canon", "-Model=EOS R5", "-SerialNumber=0123456789", "-LensSerialNumber=LS-42", "-OwnerName=Jane Roe",
      "-Artist=John Doe", "-DateTimeOriginal=2024:03:15 10:30:00", "-Software=Photo Editor 3.1",
      "-XMP-xmpMM:DocumentID=xmp.did:1234", "-Comment=private note",
    ]);
    const findings = await findingsOf(main);
    const ranks = findings.map((f) => RANK[f.severity as keyof typeof RANK]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const location = findings.find((f) => f.kind === "location");
    expect(location).toMatchObject({ severity: "high", value: "48.858400, -2.294500" });
    expect(location?.tags).toContain("exif:GPSLatitude");
    expect(findings.find((f) => f.kind === "previews")).toMatchObject({ severity: "high", tags: ["exif:ThumbnailImage"] });
    const identifying = findings.find((f) => f.kind === "device" && f.severity === "medium");
    expect(identifying?.value).toContain("0123456789");
    expect(identifying?.value).toContain("LS-42");
    expect(identifying?.value).toContain("Jane Roe");
    expect(findings.find((f) => f.kind === "device" && f.severity === "low")?.value).toContain("Canon");
    expect(findings.find((f) => f.kind === "people")?.value).toBe("John Doe");
    expect(findings.find((f) => f.kind === "time")?.tags).toContain("exif:DateTimeOriginal");
    expect(findings.find((f) => f.kind === "software")?.value).toContain("Photo Editor 3.1");
    expect(findings.find((f) => f.kind === "identifiers")?.tags).toContain("xmp:DocumentID");
    expect(findings.find((f) => f.kind === "hidden")).toMatchObject({ tags: ["File:Comment"], value: "private note" });
  });

  it("does not call a thumbnail of the same picture high, however it was re-encoded", async () => {
    const main = await picture(dir, "same.jpg");
    const findings = await findingsOf(await withThumbnail(dir, main, main));
    expect(findings.find((f) => f.kind === "previews")).toMatchObject({ severity: "low" });
  });

  it("compares a PNG's EXIF thumbnail with its picture (ExifTool places it from the eXIf chunk, not the file's start)", async () => {
    const same = await picture(dir, "same-thumb.png");
    expect((await findingsOf(await withThumbnail(dir, same, same))).find((f) => f.kind === "previews")).toMatchObject({ severity: "low" });
    const edited = await picture(dir, "edited.png");
    const other = await picture(dir, "other-thumb.png", "gradient:red-blue");
    expect((await findingsOf(await withThumbnail(dir, edited, other))).find((f) => f.kind === "previews")).toMatchObject({ severity: "high", tags: ["exif:ThumbnailImage"] });
  });

  it("does not call an old-style JPEG TIFF's own stream (ExifTool's OtherImage) a preview", async () => {
    const whole = await makeOldJpegTiff(dir, "Jane Roe");
    const findings = await findingsOf(whole);
    expect(findings.find((f) => f.kind === "people")?.value).toBe("Jane Roe");
    expect(findings.find((f) => f.kind === "previews")).toBeUndefined();
    // ExifTool's rewrite moves the stream apart from the strip: its headers alone, still no preview.
    const apart = await makeOldJpegTiff(dir, "Jane Roe");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-IFD0:DocumentName=scan", apart]);
    expect((await findingsOf(apart)).find((f) => f.kind === "previews")).toBeUndefined();
  });

  it("finds Stable Diffusion parameters and ComfyUI prompt and workflow chunks in a PNG", async () => {
    const sd = await pngWithText(await picture(dir, "sd.png"), { parameters: "a red fox in the snow\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234" });
    const sdAi = (await findingsOf(sd)).find((f) => f.kind === "ai");
    expect(sdAi).toMatchObject({ severity: "high", tags: ["png:Parameters"] });
    expect(sdAi?.value).toContain("a red fox in the snow");
    const comfy = await pngWithText(await picture(dir, "comfy.png"), { prompt: '{"3":{"class_type":"KSampler","inputs":{"seed":5}}}', workflow: '{"nodes":[{"id":3,"type":"KSampler"}]}' });
    expect((await findingsOf(comfy)).find((f) => f.kind === "ai")).toMatchObject({ severity: "high", tags: ["png:Prompt", "png:Workflow"] });
  });

  it("finds a ComfyUI workflow in a WebP's EXIF", async () => {
    const webp = await picture(dir, "comfy.webp");
    await run(EXIFTOOL, ["-q", "-overwrite_original", '-EXIF:Make=workflow:{"nodes":[{"id":9,"type":"SaveAnimatedWEBP"}]}', '-EXIF:Model=prompt:{"9":{"class_type":"SaveAnimatedWEBP"}}', webp]);
    const findings = await findingsOf(webp);
    expect(findings.find((f) => f.kind === "ai")).toMatchObject({ severity: "high", tags: ["exif:Make", "exif:Model"] });
    // A workflow in Make is not a camera maker.
    expect(findings.find((f) => f.kind === "device")).toBeUndefined();
  });

  it("finds an IPTC digital source type of generative AI in XMP", async () => {
    const jpeg = await picture(dir, "generated.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", jpeg]);
    expect((await findingsOf(jpeg)).find((f) => f.kind === "ai")).toMatchObject({ severity: "medium", tags: ["xmp:DigitalSourceType"], value: "trainedAlgorithmicMedia" });
  });

  it("finds a C2PA manifest in a JPEG's APP11 JUMBF boxes, with its claim generator", async () => {
    const jpeg = await jpegWithC2pa(await picture(dir, "credentials.jpg"), "Example Camera App/2.1 c2pa-rs/0.32");
    const provenance = (await findingsOf(jpeg)).find((f) => f.kind === "provenance");
    expect(provenance).toMatchObject({ severity: "medium", value: "Example Camera App/2.1 c2pa-rs/0.32" });
    expect(provenance?.tags).toContain("jumbf:JUMDLabel");
  });

  it("finds the comments and tracked changes of a DOCX, and its embedded picture", async () => {
    const docx = path.join(dir, "review.docx");
    await fs.writeFile(docx, (await makeOffice("docx", "Reviewer", await makeMarkedJpeg(dir, "Reviewer"))).bytes);
    const findings = await findingsOf(docx);
    const hidden = findings.filter((f) => f.kind === "hidden");
    expect(hidden.find((f) => /comment/.test(f.title))).toMatchObject({ severity: "high", value: "Reviewer commenter" });
    expect(hidden.find((f) => /tracked change/.test(f.title))).toMatchObject({ severity: "high" });
    expect(findings.find((f) => f.kind === "embedded")?.value).toContain("word/media/image1.jpeg");
    expect(findings[0]?.severity).toBe("high");
  });

  it("finds a PDF's attached file and its JavaScript", async () => {
    const pdf = path.join(dir, "attached.pdf");
    await fs.writeFile(pdf, pdfWithAttachmentAndScript());
    const hidden = (await findingsOf(pdf)).filter((f) => f.kind === "hidden");
    expect(hidden.find((f) => /attached/.test(f.title))).toMatchObject({ severity: "high", value: "1" });
    expect(hidden.find((f) => /JavaScript/.test(f.title))).toMatchObject({ severity: "high" });
  });

  it("finds the earlier revision an incremental update leaves in a PDF", async () => {
    const pdf = path.join(dir, "revised.pdf");
    await fs.writeFile(pdf, plainTextPdf());
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-PDF:Title=Draft", pdf]);
    const hidden = (await findingsOf(pdf)).filter((f) => f.kind === "hidden");
    expect(hidden.find((f) => /earlier revision/.test(f.title))).toMatchObject({ severity: "high", value: "1" });
  });

  it("names a PostScript file's %%For as a person and its %%Creator as software", async () => {
    const eps = path.join(dir, "drawing.eps");
    const header = ["%!PS-Adobe-3.0 EPSF-3.0", "%%Creator: Inkscape 1.2.2", "%%For: Jane Findings", "%%BoundingBox: 0 0 10 10", "%%EndComments"];
    await fs.writeFile(eps, `${[...header, "0 0 moveto 10 10 lineto stroke", "showpage", "%%EOF"].join("\n")}\n`);
    const findings = await findingsOf(eps);
    expect(findings.find((f) => f.kind === "people")).toMatchObject({ value: "Jane Findings" });
    expect(findings.find((f) => f.kind === "software")?.value).toContain("Inkscape 1.2.2");
    expect(findings.filter((f) => f.value?.includes("Inkscape") === true).map((f) => f.kind)).toEqual(["software"]);
  });

  it("finds a ZIP archive after the end of a JPEG", async () => {
    const jpeg = await jpegWithZipAfterEnd(await picture(dir, "carrier.jpg"));
    expect((await findingsOf(jpeg)).find((f) => f.kind === "hidden")).toMatchObject({ severity: "high", value: "a ZIP archive" });
  });

  it("finds bytes after the end of a PNG, whether or not ExifTool warned of something else first", async () => {
    const zip = Buffer.from("PK\x03\x04 the rest of an archive glued to the picture", "latin1");
    // -strip: no text chunks, so ExifTool's only warning is the trailer's; without it, ImageMagick's
    // dates after IDAT make ExifTool warn of those first (and the JSON shows that warning alone).
    for (const [name, strip] of [["quiet.png", ["-strip"]], ["dated.png", []]] as const) {
      const png = path.join(dir, name);
      await run(CONVERT, ["-size", "64x48", "xc:teal", ...strip, png]);
      await fs.appendFile(png, zip);
      const hidden = (await findingsOf(png)).find((f) => f.kind === "hidden");
      expect(hidden, name).toMatchObject({ severity: "high", value: "a ZIP archive", title: expect.stringContaining(`${zip.length} bytes`) });
    }
    const padded = path.join(dir, "padded.png");
    await run(CONVERT, ["-size", "64x48", "xc:teal", "-strip", padded]);
    await fs.appendFile(padded, Buffer.alloc(16));
    expect((await findingsOf(padded)).filter((f) => f.kind === "hidden")).toEqual([]);
  });

  it("finds nothing in plain files", async () => {
    const jpeg = await picture(dir, "plain.jpg");
    const png = path.join(dir, "plain.png");
    // No dates: ImageMagick otherwise writes its own into a PNG.
    await run(CONVERT, ["-size", "64x48", "xc:teal", "-define", "png:exclude-chunks=date,time", png]);
    const pdf = path.join(dir, "plain.pdf");
    await fs.writeFile(pdf, plainTextPdf());
    for (const file of [jpeg, png, pdf]) expect(await findingsOf(file), path.basename(file)).toEqual([]);
  });
});

describe("findings elsewhere", () => {
  it("are stored with the extraction and returned by GET by UUID", async () => {
    const jpeg = await jpegWithZipAfterEnd(await picture(dir, "stored.jpg"));
    const body = await post("extract", jpeg);
    const res = await fetch(`${server.baseUrl}/api/v1/extract/${body["uuid"]}`);
    expect(res.status).toBe(200);
    const stored = (await res.json()) as Json;
    expect(stored["findings"]).toEqual(body["findings"]);
    expect(stored["findings"]).toContainEqual(expect.objectContaining({ kind: "hidden", severity: "high" }));
  });

  it("describe the original in the remove response", async () => {
    const jpeg = await picture(dir, "removed.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-GPSLatitude=10.5", "-GPSLatitudeRef=S", "-GPSLongitude=20.25", "-GPSLongitudeRef=E", jpeg]);
    const body = await post("remove", jpeg);
    expect(body["findings"]).toContainEqual(expect.objectContaining({ kind: "location", severity: "high", value: "-10.500000, 20.250000" }));
  });

  it("call a removed original's thumbnail of another picture high, as extraction does", async () => {
    const main = await picture(dir, "swapped.jpg");
    await withThumbnail(dir, main, await picture(dir, "elsewhere.png", "gradient:red-blue"));
    const previews = (body: Json) => (body["findings"] as Finding[]).find((f) => f.kind === "previews");
    expect(previews(await post("remove", main))).toMatchObject({ severity: "high", tags: ["exif:ThumbnailImage"] });
    expect(previews(await post("extract", main))).toMatchObject({ severity: "high", tags: ["exif:ThumbnailImage"] });
  });
});
