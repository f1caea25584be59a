import { BadFileError } from "./errors.js";
import type { Cleaner } from "./types.js";

/**
 * A type the service recognises but will not clean, with a sentence that tells the person what
 * the file is and why (the contract's 422 with a reason), rather than the bare "not supported".
 */
export function refusal(name: string, fileTypes: readonly string[], sentence: string): Cleaner {
  return {
    name,
    fileTypes,
    clean: () => Promise.reject(new BadFileError(sentence)),
    isStructural: () => false,
  };
}
