// @ts-check

/**
 * A PDF of `pages` pages of real text, the first page also showing a JPEG (DCTDecode image
 * XObject), written by hand so that no fixture has to be trusted.
 * @param {number} pages @param {Buffer} jpeg @param {number} w @param {number} h
 * @returns {Buffer}
 */
export function textPdf(pages, jpeg, w, h) {
  /** @type {(string | Buffer)[]} object bodies, numbered from 1 */
  const objects = [];
  const add = (/** @type {string | Buffer} */ o) => objects.push(o) ;
  add("<< /Type /Catalog /Pages 2 0 R >>"); // 1
  add(""); // 2: Pages, filled in below
  add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"); // 3
  add(Buffer.concat([
    Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`, "latin1"),
    jpeg,
    Buffer.from("\nendstream", "latin1"),
  ])); // 4
  const kids = [];
  for (let p = 0; p < pages; p++) {
    const lines = Array.from({ length: 40 }, (_, i) => `(Page ${p + 1}, line ${i + 1}: the quarterly figures are in the annex.) Tj T*`).join(" ");
    const image = p === 0 ? "q 400 0 0 300 100 380 cm /Im1 Do Q " : "";
    const stream = `${image}BT /F1 10 Tf 12 TL 50 780 Td ${lines} ET`;
    add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    const contents = objects.length;
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${contents} 0 R /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> >>`);
    kids.push(`${objects.length} 0 R`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(" ")}] /Count ${pages} >>`;

  /** @type {Buffer[]} */
  const parts = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let length = parts[0]?.length ?? 0;
  /** @type {number[]} */
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    const bytes = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), typeof o === "string" ? Buffer.from(o, "latin1") : o, Buffer.from("\nendobj\n", "latin1")]);
    parts.push(bytes);
    length += bytes.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, "0")} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, "latin1"));
  return Buffer.concat(parts);
}
