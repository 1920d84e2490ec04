import http from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation of `..`, `%2e` or anything else (fetch would rewrite some). */
  path: string;
  headers?: Record<string, string>;
  /** A body sent with its Content-Length (unless headers say otherwise). */
  body?: string | Buffer;
  /** A body sent with Transfer-Encoding: chunked, one write per chunk. */
  chunks?: Buffer[];
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Header names exactly as sent, lower-cased, repeated names kept. */
  headerNames: string[];
  text: string;
  /** The parsed body when it is JSON. */
  json?: unknown;
}

/**
 * One request on its own connection, with full control over the path, the
 * headers and how the body is framed. Resolves with the answer even when the
 * server closes the connection while the body is still being sent (the gateway
 * does that after a 413); rejects only when no answer arrived.
 */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    if (req.chunks) headers['Transfer-Encoding'] = 'chunked';
    let answered = false;
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false, timeout: timeoutMs },
      (res) => {
        answered = true;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', () => finish());
        res.on('end', () => finish());
        function finish() {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          if (/application\/json/.test(String(res.headers['content-type'] ?? ''))) {
            try {
              json = JSON.parse(text);
            } catch {
              /* left undefined: the assertions report it */
            }
          }
          const headerNames: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) headerNames.push(res.rawHeaders[i].toLowerCase());
          resolve({ status: res.statusCode ?? 0, headers: res.headers, headerNames, text, json });
        }
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', (err) => {
      if (!answered) reject(new Error(`${req.method} ${req.path.slice(0, 120)}: ${err.message}`));
    });
    if (req.chunks) {
      (async () => {
        for (const chunk of req.chunks!) {
          if (answered || outgoing.destroyed) return;
          await new Promise<void>((done) => outgoing.write(chunk, () => done()));
        }
        if (!outgoing.destroyed) outgoing.end();
      })().catch((err: unknown) => outgoing.destroy(err as Error));
    } else outgoing.end(req.body);
  });
}
