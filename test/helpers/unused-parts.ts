import { readZip } from "./read-archives.js";

/** The names of a ZIP's entries, folders included. */
export async function zipNames(file: Buffer): Promise<string[]> {
  return (await readZip(file)).members.map((m) => m.name);
}

/** The value of the finding that reports an office document's unused parts (its names), if the answer has one. */
export function unusedPartsFinding(body: Record<string, unknown>): string | undefined {
  const findings = body["findings"] as Array<{ title: string; value?: string }>;
  return findings.find((f) => f.title.startsWith("The document holds parts that no reader opens"))?.value;
}
