/** GIF block introducers and labels, shared by the GIF cleaner and the in-place one (EMF+ images). */
export const EXTENSION = 0x21;
export const IMAGE = 0x2c;
export const TRAILER = 0x3b;
export const GRAPHIC_CONTROL = 0xf9;
export const APPLICATION = 0xff;
/** Application extensions that hold only an animation's loop count: kept when of the usual form. */
export const LOOPING: ReadonlySet<string> = new Set(["NETSCAPE2.0", "ANIMEXTS1.0"]);
