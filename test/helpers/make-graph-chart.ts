import { record } from "./make-excel95.js";

/** A BOF record as Microsoft Graph 97 writes it (version 0x0680, build 6319 of 1997) for substream kind `dt`. */
function bof(dt: number): Buffer {
  const data = Buffer.from("80060000af18cd07c140000006010000", "hex");
  data.writeUInt16LE(dt, 2);
  return record(0x0809, data);
}

/** A cell of the datasheet: BIFF2's Label (text) or Number (a double), the records Graph writes. */
function cell(row: number, col: number, value: string | number): Buffer {
  const where = Buffer.alloc(7);
  where.writeUInt16LE(row, 0);
  where.writeUInt16LE(col, 2);
  if (typeof value === "number") {
    const n = Buffer.alloc(8);
    n.writeDoubleLE(value);
    return record(0x0003, Buffer.concat([where, n]));
  }
  const text = Buffer.from(value, "latin1");
  return record(0x0004, Buffer.concat([where, Buffer.from([text.length]), text]));
}

/**
 * The `Workbook` stream of a Microsoft Graph chart ("MSGraph.Chart.8", [MS-OGRAPH]), laid out as
 * Graph 97 lays it out in Apache POI's sample presentations: globals naming one chart sheet, then
 * the chart's substream with the records only Graph writes (ChartColors, BOFDatasheet,
 * ExcludeRows, ExcludeColumns, Orient, WinDoc, MainWindow, MaxStatus) around its datasheet's
 * cells: `series` names in row 0, one value each in row 1.
 */
export function graphWorkbook(series: ReadonlyArray<[string, number]>): Buffer {
  const globalsEnd = (chartAt: number): Buffer[] => {
    const sheet = Buffer.alloc(8);
    sheet.writeUInt32LE(chartAt, 0);
    sheet.writeUInt16LE(0x0200, 4);
    return [bof(0x0005), record(0x0042, Buffer.from([0xe4, 0x04])), record(0x0085, sheet), record(0x000a, Buffer.alloc(0))];
  };
  const chartAt = Buffer.concat(globalsEnd(0)).length;
  const chart = [
    bof(0x8000),
    record(0x02ac, Buffer.from([0x38, 0x00])),
    record(0x1052, Buffer.from([0x01, 0x02, 0x10, 0x00])),
    record(0x1053, Buffer.from([0x00, 0x00, 0x04, 0x00])),
    record(0x1054, Buffer.from([0x01, 0x00, 0x06, 0x00])),
    record(0x1055, Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x01])),
    ...series.map(([name], i) => cell(0, i + 1, name)),
    ...series.map(([, value], i) => cell(1, i + 1, value)),
    record(0x1057, Buffer.from([0x01])),
    record(0x1059, Buffer.from("72067206002d771f", "hex")),
    record(0x1058, Buffer.from([0x00, 0x00])),
    record(0x000a, Buffer.alloc(0)),
  ];
  return Buffer.concat([...globalsEnd(chartAt), ...chart]);
}
