import { describe, expect, it } from "vitest";
import { MAX_FILE_NAME_BYTES, cleanFileName, sanitizeFileName } from "../src/intake/file-name.js";

describe("sanitizeFileName", () => {
  it.each([
    ["photo.jpg", "photo.jpg"],
    ["  photo.jpg  ", "photo.jpg"],
    ["été 2024 €.jpg", "été 2024 €.jpg"],
    ["../../etc/passwd", "passwd"],
    ["/abs/path/a.png", "a.png"],
    ["C:\\Users\\me\\a.png", "a.png"],
    ["..\\..\\win.ini", "win.ini"],
    ["dir/..", "file"],
    ["..", "file"],
    [".", "file"],
    ["", "file"],
    ["   ", "file"],
    ["a/", "file"],
    ["a\r\nX-Injected: 1.jpg", "aX-Injected: 1.jpg"],
    ["nul\u0000byte.jpg", "nulbyte.jpg"],
    ["tab\there\u007f\u0085.jpg", "tabhere.jpg"],
    ["line\u2028sep.jpg", "linesep.jpg"],
    ["invoice\u202egpj.exe", "invoicegpj.exe"],
    ["lone\ud800half.jpg", "lone\ufffdhalf.jpg"],
    [".htaccess", ".htaccess"],
  ])("%j -> %j", (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it("returns null from cleanFileName when nothing is left", () => {
    expect(cleanFileName("../")).toBeNull();
    expect(cleanFileName("\r\n")).toBeNull();
  });

  it("caps a long name at 200 UTF-8 bytes and keeps its extension", () => {
    const name = sanitizeFileName(`${"a".repeat(300)}.jpeg`);
    expect(Buffer.byteLength(name)).toBe(MAX_FILE_NAME_BYTES);
    expect(name).toBe(`${"a".repeat(195)}.jpeg`);
  });

  it("never splits a code point when it cuts", () => {
    // "€" is 3 bytes and "😀" 4: 200 is a multiple of neither, so a naive cut would split one.
    for (const char of ["€", "😀", "é"]) {
      const name = sanitizeFileName(char.repeat(150));
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
      expect(Buffer.from(name, "utf8").toString("utf8")).toBe(name);
      expect([...name].every((c) => c === char)).toBe(true);
      expect(Buffer.byteLength(name)).toBeGreaterThan(MAX_FILE_NAME_BYTES - Buffer.byteLength(char));
    }
  });

  it("cuts a name whose extension is too long to keep", () => {
    const name = sanitizeFileName(`a.${"b".repeat(300)}`);
    expect(name).toBe(`a.${"b".repeat(198)}`);
  });
});
