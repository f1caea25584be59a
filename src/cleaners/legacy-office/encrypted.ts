import { ENCRYPTED_OFFICE } from "../../metadata/compound-types.js";
import { refusal } from "../refusal.js";

/** Why a password-protected document is refused, and what the person can do. */
export const ENCRYPTED =
  "The document is encrypted (password-protected): its content and metadata cannot be read, so it cannot be cleaned without its password. " +
  "Remove the password in the program that made it, then send the file again.";

/** An Office 2007+ document encrypted with a password ([MS-OFFCRYPTO]): the package inside cannot be opened. */
export const encryptedOfficeRefusal = refusal("encrypted-office", [ENCRYPTED_OFFICE], ENCRYPTED);
