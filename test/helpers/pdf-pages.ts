import { run } from "./tools.js";

/** The pages qpdf finds walking the page tree (after any repair of a damaged file). */
export async function qpdfPages(file: string): Promise<number> {
  const { stdout } = await run("qpdf", ["--json-output=2", "--json-key=pages", file, "-"], { okCodes: [3] });
  return (JSON.parse(stdout.toString("utf8")) as { pages: unknown[] }).pages.length;
}

/** The pages poppler reports (`pdfinfo`: the page tree root's /Count), 0 where it reads none. */
export async function popplerPages(file: string): Promise<number> {
  const { stdout } = await run("pdfinfo", [file], { okCodes: [1, 99] });
  return Number(/^Pages:\s+(\d+)/m.exec(stdout.toString("utf8"))?.[1] ?? 0);
}
