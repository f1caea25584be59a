/**
 * Fields of a bitmap's info header (BITMAPV5HEADER, from the start of the info header) where its
 * colour profile is named: shared by the BMP cleaner and the bitmaps inside Office 97-2003 files.
 */
export const V5_HEADER = 124;
export const CS_TYPE = 56;
export const PROFILE_DATA = 112;
export const PROFILE_SIZE = 116;
export const PROFILE_EMBEDDED = 0x4d424544; // 'MBED'
export const PROFILE_LINKED = 0x4c494e4b; // 'LINK'
export const LCS_SRGB = 0x73524742; // 'sRGB'
export const BI_RGB = 0;
export const BI_BITFIELDS = 3;
