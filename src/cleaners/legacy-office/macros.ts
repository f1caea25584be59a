import { VBA_PROJECT } from "../../metadata/compound-types.js";
import { refusal } from "../refusal.js";

/** Why a document holding a VBA project is refused. */
export const MACROS =
  "The document holds macros (a VBA project), which carry their author's name and folder paths; they cannot be removed without changing what the document does.";

/** A VBA project's storage as a file of its own: a PPTM's vbaProject.bin, a presentation's macros record ([MS-PPT] 2.10.40). */
export const vbaProjectRefusal = refusal("vba-project", [VBA_PROJECT], MACROS);
