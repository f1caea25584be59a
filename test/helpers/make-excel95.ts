/**
 * An Excel 5.0/95 workbook stream ([MS-XLS] BIFF5, as its `Book` stream holds it): the globals
 * (BOF, WriteAccess naming `lastUser`, code page, one sheet's BoundSheet, EOF), then the sheet
 * with a Label record per cell. Enough for xls2csv to read the cells; LibreOffice no longer
 * writes this format. `globals`: records placed after the code page.
 */
export function excel95Book(lastUser: string, cells: ReadonlyArray<[row: number, col: number, text: string]>, globals: readonly Buffer[] = []): Buffer {
  const writeAccess = Buffer.alloc(32, 0x20);
  writeAccess[0] = lastUser.length;
  writeAccess.write(lastUser, 1, "latin1");
  const codePage = Buffer.alloc(2);
  codePage.writeUInt16LE(1252);
  const head = [bof(0x0005), record(0x005c, writeAccess), record(0x0042, codePage), ...globals];
  const sheetName = Buffer.from("\x06Sheet1", "latin1");
  const boundSheet = Buffer.concat([Buffer.alloc(6), sheetName]);
  // The sheet's BOF follows the globals' BoundSheet and EOF records.
  boundSheet.writeUInt32LE(head.reduce((n, b) => n + b.length, 0) + 4 + boundSheet.length + 4, 0);
  const labels = cells.map(([row, col, text]) => {
    const fields = Buffer.alloc(8);
    fields.writeUInt16LE(row, 0);
    fields.writeUInt16LE(col, 2);
    fields.writeUInt16LE(15, 4);
    fields.writeUInt16LE(text.length, 6);
    return record(0x0204, Buffer.concat([fields, Buffer.from(text, "latin1")]));
  });
  const eof = record(0x000a, Buffer.alloc(0));
  return Buffer.concat([...head, record(0x0085, boundSheet), eof, bof(0x0010), ...labels, eof]);
}

/** One BIFF record: type, length, data ([MS-XLS] 2.1.4). */
export function record(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** A BIFF5 BOF record: version 0x0500, the substream's type (globals, worksheet). */
function bof(substream: number): Buffer {
  const data = Buffer.alloc(8);
  data.writeUInt16LE(0x0500, 0);
  data.writeUInt16LE(substream, 2);
  return record(0x0809, data);
}
