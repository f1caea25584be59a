/** [MS-XLS] 2.4.199 Pls: a sheet's printer settings, a reserved word then the printer driver's DEVMODE. */
export const PLS = 0x004d;
const RESERVED = 2;
/** DEVMODE's dmDeviceName: 32 characters, UTF-16 in BIFF8 workbooks (DEVMODEW), 8-bit in BIFF5 ones (DEVMODEA). */
const DEVICE_NAME_CHARS = 32;
const deviceNameBytes = (biff8: boolean): number => DEVICE_NAME_CHARS * (biff8 ? 2 : 1);

/** The printer a sheet's settings name (trimmed; empty for none, or for settings that are no DEVMODE). */
export function printerName(body: Buffer, biff8: boolean): string {
  if (body.length < RESERVED || body.readUInt16LE(0) !== 0) return "";
  const name = body.subarray(RESERVED, Math.min(RESERVED + deviceNameBytes(biff8), body.length));
  return name.toString(biff8 ? "utf16le" : "latin1", 0, name.length - (name.length % (biff8 ? 2 : 1))).replace(/\0[^]*$/, "").trim();
}

/**
 * Blanks in place what a sheet's printer settings say of the machine they were made on: the
 * printer's name (a network printer's names its print server: `\\PRINTSRV01\HP LaserJet 4050`)
 * and the driver's private data after the DEVMODE's public fields (driver paths such as
 * `C:\WINDOWS\SYSTEM32\SPOOL\DRIVERS\W32X86\3\...`, and for some drivers the user's account or
 * job owner), both zeros. Paper size, orientation, scale and copies stay, so the page setup
 * survives; a printer of no name is one Excel does not look for. Settings in another form than
 * a DEVMODE (a reserved word that is not zero: a Mac print record) become zeros whole.
 */
export function blankPrinterSettings(body: Buffer, biff8: boolean): void {
  if (body.length < RESERVED) return;
  if (body.readUInt16LE(0) !== 0) {
    body.fill(0, RESERVED);
    return;
  }
  const mode = body.subarray(RESERVED);
  const nameBytes = deviceNameBytes(biff8);
  // dmSpecVersion, dmDriverVersion, dmSize, dmDriverExtra follow the device name.
  const sizeAt = nameBytes + 4;
  mode.fill(0, 0, Math.min(nameBytes, mode.length));
  if (mode.length < sizeAt + 2) return;
  mode.fill(0, Math.max(mode.readUInt16LE(sizeAt), nameBytes));
}
