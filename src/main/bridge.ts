// The loopback bridge: the same API as the desktop IPC, over HTTP on 127.0.0.1, for the
// browser mode, the Chromium tests and every mode's media (pixels never go through
// calls). A random per-start token guards it against other local users and web pages;
// the Host check stops DNS-rebinding pages from posing as a loopback origin.
//   POST /api/<method>    body and reply in wire JSON; header `authorization: Bearer <t>`
//   GET  /events?token=   server-sent events, one `data: {event, payload}` per bus event
//   GET  /media/<path>?token=  an image, mask or prediction file from the data folder
//        (these two also take the bearer header instead of the query)
//   GET  /, /assets/...   the built renderer (no secret in it; the token comes in the URL)
// The printed address opens the app in one browser only: the first page load that shows
// the token gets a session cookie (HttpOnly, SameSite=Strict) and from then on a browser's
// requests must show that cookie beside the token, so the same address pasted into a
// second browser (or another profile) is refused. Clients that are not browsers (the
// desktop window's session header, the CLI, tests) use the token alone.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMediaPath } from '#shared/api';
import { ApiError, toWireError, type ApiErrorCode } from '#shared/errors';
import { encodeWire, decodeWire } from '#shared/wire';
import type { AppContext } from './context';
import { contentSecurityPolicy } from './engine/csp';
import { invoke } from './engine/invoke';
import { resolveMedia } from './images/media';

export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../out/renderer', import.meta.url));

export interface BridgeOptions {
  ctx: AppContext;
  /** 0 or absent: a free port. */
  port?: number;
  /** Where the built renderer lives; null serves no pages (API and media only). */
  rendererDir?: string | null;
  /**
   * A page origin other than the bridge's own that may read media: electron-vite's dev
   * server, whose renderer fetches masks and predictions into canvases across origins.
   */
  mediaOrigin?: string;
}

export interface Bridge {
  origin: string;
  port: number;
  token: string;
  /** The page to open: origin plus the token, which the renderer moves out of the URL. */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;
const HEARTBEAT_MS = 25_000;

const STATUS: Record<ApiErrorCode, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  busy: 409,
  io: 500,
  internal: 500,
};

/** The renderer's own files; media types come from resolveMedia. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { ctx } = options;
  const rendererDir =
    options.rendererDir === undefined
      ? DEFAULT_RENDERER_DIR
      : options.rendererDir && resolve(options.rendererDir);
  const token = randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  let port = 0;
  const closers = new Set<() => void>();

  const hasToken = (offered: string | null | undefined): boolean => {
    if (!offered) return false;
    const bytes = Buffer.from(offered);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };
  /** The session the token was exchanged for, once a browser opened the address. */
  let session: Buffer | null = null;
  const hasSession = (req: IncomingMessage): boolean => {
    const offered = cookie(req, SESSION_COOKIE);
    if (!session || !offered) return false;
    const bytes = Buffer.from(offered);
    return bytes.length === session.length && timingSafeEqual(bytes, session);
  };
  /**
   * The token, and for a browser once the address was opened, that browser's cookie. A
   * browser says so in its Sec-Fetch-* headers, which pages cannot forge or remove.
   */
  const authorized = (req: IncomingMessage, offered: string | null | undefined): boolean =>
    hasToken(offered) && (!session || !isBrowser(req) || hasSession(req));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, error));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      throw new HttpError(403, 'invalid', `Requests must be addressed to 127.0.0.1:${port}.`);
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const path = url.pathname;

    if (path.startsWith('/api/')) {
      if (req.method !== 'POST') throw new HttpError(405, 'invalid', 'API calls use POST.');
      if (!authorized(req, bearer(req))) throw unauthorized();
      const input = parseBody(await readBody(req));
      const reply = await invoke(ctx, decodePath(path.slice(5)), input);
      // An answered call is a successful exchange even when the answer is an error: HTTP
      // statuses stay for transport faults, so browsers don't log a user's typo as one.
      return send(res, 200, 'application/json', encodeWire(reply));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, 'invalid', 'Only GET is served here.');
    }
    // EventSource and <img> cannot send headers, so these take the token in the query;
    // the desktop window's session adds it as a header instead.
    const offered = bearer(req) ?? url.searchParams.get('token');
    if (path === '/events') {
      if (!authorized(req, offered)) throw unauthorized();
      return streamEvents(req, res);
    }
    if (path.startsWith('/media/')) {
      if (!authorized(req, offered)) throw unauthorized();
      const media = parseMediaPath(decodePath(path.slice(7)));
      if (!media) throw new HttpError(404, 'not-found', `No such media: ${path}`);
      const { file, contentType } = await resolveMedia(ctx, media);
      if (options.mediaOrigin) {
        res.setHeader('vary', 'origin');
        if (req.headers.origin === options.mediaOrigin) {
          res.setHeader('access-control-allow-origin', options.mediaOrigin);
        }
      }
      return sendFile(req, res, file, contentType, 'private, no-cache');
    }
    const pageToken = url.searchParams.get('token');
    if (hasToken(pageToken)) {
      // The printed address: exchanged for a cookie by the first browser to open it.
      if (!session) {
        const value = randomBytes(24).toString('base64url');
        session = Buffer.from(value);
        res.setHeader(
          'set-cookie',
          `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict`,
        );
      } else if (!hasSession(req)) {
        return send(
          res,
          403,
          'text/plain; charset=utf-8',
          'This address was already opened in another browser: it opens Jaccard in one ' +
            'browser only. Use that browser, or restart `jaccard serve` (or `npm start`) ' +
            'for a new address.\n',
        );
      }
    }
    return serveRenderer(req, res, path);
  }

  function streamEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // Subscribe before the headers reach the client: a call it makes once the stream is
    // open then cannot emit an event this stream misses.
    const off = ctx.events.onAny((event, payload) => {
      res.write(`data: ${encodeWire({ event, payload })}\n\n`);
    });
    res.write('retry: 1000\n\n');
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const stop = (): void => {
      clearInterval(heartbeat);
      off();
      closers.delete(end);
    };
    const end = (): void => {
      stop();
      res.end();
    };
    closers.add(end);
    req.on('close', stop);
  }

  function serveRenderer(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!rendererDir || !existsSync(join(rendererDir, 'index.html'))) {
      throw new HttpError(
        503,
        'not-found',
        'The app pages are not built. Run `npm run build`, or `jaccard serve --dev`.',
      );
    }
    const file = resolve(rendererDir, '.' + decodePath(path === '/' ? '/index.html' : path));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      throw new HttpError(404, 'not-found', `Not found: ${path}`);
    }
    res.setHeader('content-security-policy', contentSecurityPolicy());
    // Bundled assets carry a content hash in their name; the page itself must be fresh.
    const cache = file.includes(`${sep}assets${sep}`)
      ? 'public, max-age=31536000, immutable'
      : 'no-cache';
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    sendFile(req, res, file, type, cache);
  }

  await new Promise<void>((ready, failed) => {
    const refused = (error: NodeJS.ErrnoException): void => {
      failed(
        error.code === 'EADDRINUSE'
          ? new ApiError(
              'busy',
              `Port ${options.port} is taken; choose another or let Jaccard pick one.`,
            )
          : error,
      );
    };
    server.once('error', refused);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', refused);
      ready();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    port,
    token,
    url: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((done) => {
        for (const end of [...closers]) end();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

const SESSION_COOKIE = 'jaccard_session';

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

/**
 * Browsers (Chromium, Firefox, Safari) mark every request with Sec-Fetch-Site; Node's
 * fetch sends Sec-Fetch-Mode but not that one.
 */
function isBrowser(req: IncomingMessage): boolean {
  return req.headers['sec-fetch-site'] !== undefined;
}

function bearer(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : null;
}

function unauthorized(): HttpError {
  return new HttpError(
    401,
    'invalid',
    'Missing or wrong access token. Open the address `jaccard serve` printed for this run.',
  );
}

function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, 'invalid', `Malformed address: ${text}`);
  }
}

/** Buffer's decoder: 47 MB of mask in ~0.1 s, where atob takes seconds on the one thread. */
const fromBase64 = (b64: string): Uint8Array => Buffer.from(b64, 'base64');

function parseBody(text: string): unknown {
  try {
    return text ? decodeWire(text, fromBase64) : {};
  } catch {
    throw new HttpError(400, 'invalid', 'The request body is not JSON.');
  }
}

/**
 * Reads a request body of at most MAX_BODY. A larger one is answered 413 naming the
 * limit: at once when its content-length says so, else once it has been read to the end
 * and thrown away (a client still sending would miss a reply sent earlier and see a
 * reset); one that goes on past four times the limit is cut off.
 */
function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = () =>
    new HttpError(
      413,
      'invalid',
      `The request is larger than the ${MAX_BODY >> 20} MiB limit; a mask this large cannot be saved.`,
    );
  if (Number(req.headers['content-length']) > MAX_BODY) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((done, failed) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
      else {
        chunks.length = 0;
        if (size > 4 * MAX_BODY) req.destroy();
      }
    });
    req.on('end', () =>
      size > MAX_BODY ? failed(tooLarge()) : done(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', failed);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    ...SAFETY_HEADERS,
  });
  res.end(body);
}

const SAFETY_HEADERS = {
  'x-content-type-options': 'nosniff',
  // Page and media URLs may carry the token; never hand it to another site.
  'referrer-policy': 'no-referrer',
};

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  contentType: string,
  cache: string,
): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new HttpError(404, 'not-found', 'The file is missing from the data folder.');
  }
  const etag = `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
  const headers = {
    'content-type': contentType,
    'cache-control': cache,
    etag,
    ...SAFETY_HEADERS,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': stat.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    send(
      res,
      error.status,
      'application/json',
      encodeWire({ error: { code: error.code, message: error.message } }),
    );
    return;
  }
  const wire = toWireError(error);
  if (!(error instanceof ApiError)) console.error('[bridge]', error);
  send(res, STATUS[wire.code], 'application/json', encodeWire({ error: wire }));
}
