import type { Finding } from "./types.js";

/** A finding of one file inside the file, before its title names that file. */
export interface InnerFinding {
  /** The inner file's name or path there (a nested file's path holds " > "). */
  file: string;
  /** Tells apart two inner files of the same name (a ZIP may list a name twice). */
  fileId: number;
  finding: Finding;
}

/**
 * The inner files' findings, each title starting with the file it is about. A finding several
 * files share (same kind, severity, sentence and value) is one, naming how many and which
 * ("3 files inside (a.jpg, picture 1–2): The file ..."): an MP3 of 64 covers from one camera told
 * its GPS position 64 times over. It takes the place of the first, with the tags of all. Findings
 * whose values differ (two positions) stay apart, so no value is lost.
 */
export function titledByFile(found: readonly InnerFinding[]): Finding[] {
  const groups = new Map<string, { finding: Finding; files: string[]; ids: Set<number>; tags: Set<string> }>();
  for (const { file, fileId, finding } of found) {
    const key = JSON.stringify([finding.kind, finding.severity, finding.title, finding.value ?? null]);
    let group = groups.get(key);
    if (group == null) {
      group = { finding, files: [], ids: new Set(), tags: new Set() };
      groups.set(key, group);
    }
    if (!group.ids.has(fileId)) {
      group.ids.add(fileId);
      group.files.push(file);
    }
    for (const tag of finding.tags) group.tags.add(tag);
  }
  return [...groups.values()].map(({ finding, files, tags }) => ({
    ...finding,
    title: `${files.length === 1 ? files[0] : `${files.length} files inside (${listed(files)})`}: ${finding.title}`,
    tags: [...tags],
  }));
}

/** How many numbered names in a row are written as a range ("picture 1–64"). */
const MIN_RUN = 3;

/**
 * Names joined by ", ", a run of names that differ only by a number at their end counting up by
 * one (the "picture N" of cover art and Office 97-2003 pictures) written "picture 1–64".
 */
function listed(names: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < names.length; ) {
    let end = i + 1;
    while (end < names.length && follows(names[end - 1]!, names[end]!)) end += 1;
    if (end - i >= MIN_RUN) {
      out.push(`${names[i]}–${numbered(names[end - 1]!)!.n}`);
      i = end;
    } else {
      out.push(names[i]!);
      i += 1;
    }
  }
  return out.join(", ");
}

/** True when `next` is `name` with its ending number one more ("picture 7" after "picture 6"). */
function follows(name: string, next: string): boolean {
  const a = numbered(name);
  const b = numbered(next);
  return a != null && b != null && a.prefix === b.prefix && b.n === a.n + 1;
}

/** A name's whole ending number, when written without leading zeros (a range cannot spell "p07"). */
function numbered(name: string): { prefix: string; n: number } | null {
  const m = /^(.*\D)?(0|[1-9]\d{0,8})$/s.exec(name);
  return m == null ? null : { prefix: m[1] ?? "", n: Number(m[2]) };
}
