import { KEEP_OPTIONS, type KeepOption, UNKNOWN_MEMBERS, type UnknownMembers } from "./types.js";

/**
 * A cleaning option written wrong (`keep=everything`). The HTTP edge answers it with a 400, the
 * command line with its usage; the message names what is accepted.
 */
export class InvalidOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidOptionError";
  }
}

/** `keep` as the contract writes it: a comma-separated list, case-insensitive, blanks ignored. */
export function parseKeepList(value: string | undefined): Set<KeepOption> {
  const keep = new Set<KeepOption>();
  if (value == null || value.trim() === "") return keep;
  for (const item of value.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const match = KEEP_OPTIONS.find((k) => k.toLowerCase() === item.toLowerCase());
    if (match == null) throw new InvalidOptionError(`keep accepts ${KEEP_OPTIONS.join(", ")} (got "${item.slice(0, 40)}")`);
    keep.add(match);
  }
  return keep;
}

/** `unknownMembers`: what to do with archive members no cleaner handles; `refuse` by default. */
export function parseUnknownMembers(value: string | undefined): UnknownMembers {
  if (value == null || value.trim() === "") return "refuse";
  const match = UNKNOWN_MEMBERS.find((m) => m === value.trim().toLowerCase());
  if (match == null) throw new InvalidOptionError(`unknownMembers accepts ${UNKNOWN_MEMBERS.join(", ")} (got "${value.slice(0, 40)}")`);
  return match;
}
