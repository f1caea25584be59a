/**
 * qpdf's JSON spells a PDF's numbers as the file does: `5.`, `-0.`, `+.5` and `007` are numbers
 * in a PDF but not in JSON (qpdf's own test files hold them), and JSON.parse throws on them. Such
 * a dump is parsed again with every number outside the strings spelled as JSON spells it (their
 * values do not change; a real ending in a dot reads as an integer, which a PDF accepts wherever
 * it takes a real). Well-formed dumps, the usual ones, are parsed once, untouched.
 */
export function parseQpdfJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return JSON.parse(text.replace(STRING_OR_NUMBER, (token) => (token.startsWith('"') ? token : String(Number(token)))));
  }
}

/** A JSON string (qpdf escapes what it must), or a PDF number: a sign, digits, a dot anywhere among them. */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|[-+]?(?:\d+\.?\d*|\.\d+)/g;
