import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { directorySectors, ENTRY_SIZE, OBJECT_TYPE } from "./compound-directory.js";

/**
 * Entries (storages and streams) in a compound file's directory before it is refused: our legacy
 * Office cleaner and ExifTool walk each (a Word document of 100,000 empty streams, 13 MB, took the
 * service 28 s and its process tree ~700 MB before a 422). A Word, Excel or PowerPoint file has
 * tens; an Outlook message a few per recipient and attachment, thousands for the largest.
 */
export const MAX_COMPOUND_ENTRIES = 20_000;

/**
 * Refuses (TooComplexError) a compound file (Word, Excel, PowerPoint, Outlook message...) whose
 * directory holds more entries than MAX_COMPOUND_ENTRIES (see directorySectors for how far it is
 * walked).
 */
export async function checkCompoundShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    let entries = 0;
    for await (const dir of directorySectors(src)) {
      for (let e = 0; e < dir.length; e += ENTRY_SIZE) if (dir[e + OBJECT_TYPE] !== 0) entries++;
      if (entries > MAX_COMPOUND_ENTRIES) throw new TooComplexError(`compound file: more than ${MAX_COMPOUND_ENTRIES} directory entries`);
    }
  } finally {
    await src.close();
  }
}
