import type { Finding } from "./types.js";

// Apart from the looks that find it (office.ts, legacy-office.ts; index.ts for a PDF the screen
// found locked), so that the extraction's warning does not load their readers into the main thread.

const TITLE = "The document is encrypted (password-protected): its content, and the metadata inside it, could not be looked into; whoever has the password can read them.";

/** The finding of a document whose content is encrypted: what it gives away is out of sight, not absent. */
export const ENCRYPTED_FINDING: Finding = { kind: "hidden", severity: "medium", title: TITLE, tags: [] };

/**
 * The extraction's `warnings` line for an encrypted document: its `metadata` shows only what lies
 * outside the encryption, so an answer with nothing in it does not mean there is nothing.
 */
export function encryptedWarnings(findings: readonly Finding[]): string[] {
  return findings.some((f) => f.title === TITLE)
    ? ["The document is encrypted (password-protected): its content and the metadata inside it could not be read; neither `metadata` nor `findings` shows them."]
    : [];
}
