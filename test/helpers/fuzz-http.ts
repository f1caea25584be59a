import http from "node:http";

/**
 * A multipart upload written byte by byte, so the file name reaches the service exactly as a
 * hostile client writes it (fetch's FormData would escape quotes and line breaks first).
 */
export function rawMultipart(fileNameParam: Buffer, data: Buffer, fields: Record<string, string> = {}): { body: Buffer; contentType: string } {
  const boundary = `----exifapi${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`, "utf8"));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; `, "latin1"));
  parts.push(fileNameParam);
  parts.push(Buffer.from("\r\nContent-Type: application/octet-stream\r\n\r\n", "latin1"), data, Buffer.from(`\r\n--${boundary}--\r\n`, "latin1"));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function postRaw(url: string, apiKey: string, upload: { body: Buffer; contentType: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", body: new Uint8Array(upload.body), headers: { "X-API-Key": apiKey, "Content-Type": upload.contentType } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A loopback HTTP server that answers every request with `handler` and records what it was asked. */
export async function recordingServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, s) => s.end()): Promise<{
  url: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const srv = http.createServer((req, res) => {
    requests.push(`${req.method ?? "?"} ${req.url ?? ""}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const addr = srv.address();
  if (addr == null || typeof addr !== "object") throw new Error("no address");
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}
