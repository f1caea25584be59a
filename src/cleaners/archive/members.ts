import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome } from "../types.js";
import { describeName } from "./member-name.js";

/** One member of an archive, unpacked into the work folder under a generated name. */
export type Member = { name: string; kind: "directory" } | { name: string; kind: "file"; file: string; size: number };

/** What goes into the clean archive, in the original order. */
export type OutMember = { name: string; kind: "directory" } | { name: string; kind: "file"; file: string };

interface Unknown {
  name: string;
  type: string;
}

/** Names listed in a refusal; the rest are counted. */
const LISTED = 10;

/**
 * Cleans every file member with the cleaner its bytes call for (`ctx.cleanNested`, which verifies
 * it), then applies `unknownMembers` to those no cleaner handles. Empty files have nothing to
 * carry and are kept as they are.
 */
export async function cleanMembers(ctx: CleanContext, members: readonly Member[]): Promise<{ out: OutMember[]; outcome: CleanOutcome }> {
  const out: OutMember[] = [];
  const unknown: Unknown[] = [];
  for (const [i, m] of members.entries()) {
    if (m.kind === "directory" || m.size === 0) {
      out.push(m.kind === "directory" ? m : { name: m.name, kind: "file", file: m.file });
      continue;
    }
    const cleaned = path.join(ctx.workDir, `clean-${i}`);
    if (await cleanOne(ctx, m.name, m.file, cleaned)) {
      await fsp.rm(m.file, { force: true });
      out.push({ name: m.name, kind: "file", file: cleaned });
      continue;
    }
    unknown.push({ name: m.name, type: ctx.unsupportedType(m.file) });
    if (ctx.unknownMembers === "keep") out.push({ name: m.name, kind: "file", file: m.file });
  }
  if (unknown.length === 0) return { out, outcome: {} };
  switch (ctx.unknownMembers) {
    case "refuse":
      throw new BadFileError(refusal(unknown));
    case "omit":
      return { out, outcome: { hidden: { members: unknown.length } } };
    case "keep":
      return { out, outcome: { remaining: { members: Object.fromEntries(unknown.map((u) => [u.name, `kept unchanged (${u.type})`])) } } };
  }
}

/** A member's own refusal names the member: the user must know which one to look at. */
async function cleanOne(ctx: CleanContext, name: string, input: string, output: string): Promise<boolean> {
  try {
    return (await ctx.cleanNested(input, output)) != null;
  } catch (err) {
    if (err instanceof BadFileError) throw new BadFileError(`${describeName(name)}: ${err.reason}`, err);
    throw err;
  }
}

function refusal(unknown: readonly Unknown[]): string {
  const listed = unknown.slice(0, LISTED).map((u) => `${describeName(u.name)} (${u.type})`);
  const more = unknown.length > LISTED ? ` and ${unknown.length - LISTED} more` : "";
  return `The archive holds members that cannot be cleaned: ${listed.join(", ")}${more}.`;
}
