import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `DocInfo${crypto.randomBytes(6).toString("hex")}`;
const GS = "/usr/bin/gs";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ps-docinfo-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Values {
  title: string;
  author: string;
  /** Hex digits of a hex string. */
  subject: string;
  /** A commented-out entry, as gnuplot leaves its Producer. */
  producer: string;
  creator: string;
}

/**
 * An EPS whose program hands document information to a PDF writer as gnuplot writes it (in the
 * prolog, `pdfmark` defined as `cleartomark` where missing; an escaped parenthesis, a bracket
 * inside a string, a hex string, a commented-out entry) and as dvips with hyperref writes it (one
 * line in the setup). The page shows a string holding `[` and `/DOCINFO` that is no pdfmark's.
 */
function program(v: Values): string {
  return [
    "%!PS-Adobe-3.0 EPSF-3.0",
    "%%BoundingBox: 0 0 120 40",
    "%%Pages: 1",
    "%%EndComments",
    "%%BeginProlog",
    "/SDict 10 dict def",
    "systemdict /pdfmark known not { userdict /pdfmark systemdict /cleartomark get put } if",
    "SDict begin [",
    `  /Title (${v.title})`,
    `  /Author (${v.author})`,
    `  /Subject <${v.subject}>`,
    `%${v.producer}`,
    "  /Trapped /False",
    "  /DOCINFO pdfmark",
    "end",
    "%%EndProlog",
    "%%BeginSetup",
    `[ /Creator (${v.creator}) /DOCINFO pdfmark`,
    "%%EndSetup",
    "%%Page: 1 1",
    "1 0 0 setrgbcolor 0 0 60 40 rectfill",
    "0 0 1 setrgbcolor 60 0 60 20 rectfill",
    "0 setgray /Helvetica findfont 9 scalefont setfont 4 26 moveto (Keep [this] /DOCINFO text) show",
    "showpage",
    "%%EOF",
    "",
  ].join("\n");
}

const MARKED: Values = {
  title: `Sales [draft] \\(v2\\) ${MARKER}`,
  author: MARKER,
  subject: Buffer.from(`plot of ${MARKER}`, "latin1").toString("hex"),
  producer: `  /Producer (${MARKER})`,
  creator: `${MARKER} Plot 4.6`,
};
const EMPTIED: Values = { title: "", author: "", subject: "", producer: "", creator: "" };

/** Ghostscript's PDF of a PostScript file: what Distiller-like tools make of its pdfmarks. */
async function asPdf(file: string): Promise<string> {
  const out = `${file}.pdf`;
  await run(GS, ["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", "-dEPSCrop", `-sOutputFile=${out}`, file]);
  return out;
}

/** Ghostscript's rendering at 72 dpi, as ImageMagick's pixel signature. */
async function rendered(file: string): Promise<string> {
  const out = `${file}.png`;
  await run(GS, ["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-dEPSCrop", "-r72", `-sOutputFile=${out}`, file]);
  // Red, blue, black text on white: a blank page would make the comparison meaningless.
  expect(Number((await run(CONVERT, [out, "-format", "%k", "info:"])).stdout.toString())).toBeGreaterThanOrEqual(4);
  return pixelSignature(out);
}

describe("POST /api/v1/remove on PostScript with document information pdfmarks", () => {
  it("empties the strings of every /DOCINFO pdfmark, so that no PDF made from the copy names the author; the rest is the same program", async () => {
    const file = path.join(dir, "plot.eps");
    await fs.writeFile(file, program(MARKED), "latin1");
    // The values reach the Info of a PDF made from the file: they are the document's metadata.
    expect(await findMarker(await asPdf(file), MARKER)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "plot.eps");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "clean.eps");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(body["removed"]).toMatchObject({ documentInfo: 2 });
    expect(cleaned!.toString("latin1")).toBe(program(EMPTIED));
    expect(await findMarker(await asPdf(out), MARKER)).toEqual([]);
    expect(await rendered(out)).toBe(await rendered(file));
  });
});

describe("POST /api/v1/remove on PostScript whose /DOCINFO names are built to be costly", () => {
  it("refuses quickly a program of 200,000 `/DOCINFO pdfmark` lying 60 kB after their only mark", async () => {
    const ps = `%!PS-Adobe-3.0\n[ ${"/a ".repeat(20_000)}${"/DOCINFO pdfmark ".repeat(200_000)}\nshowpage\n%%EOF\n`;
    await expectQuickRefusal(server, dir, "marks.ps", Buffer.from(ps, "latin1"));
  });
});
