import { DAMAGED_COMPOUND } from "../../metadata/compound-types.js";
import { refusal } from "../refusal.js";

/** Why a compound file that cannot be read through is refused. */
export const DAMAGED = "The file is not a readable Office 97-2003 document: its compound file structure is damaged.";

/** A compound file whose directory is broken before any program's stream shows (compound-types.ts): most often a document cut short. */
export const damagedCompoundRefusal = refusal("damaged-compound", [DAMAGED_COMPOUND], DAMAGED);
