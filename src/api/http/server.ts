/**
 * The API over HTTP + WebSocket, for `onemark serve`: the same renderer runs in a browser
 * against a headless workstation. Requests are `POST /api/<method>` with `{"args": [...]}` and
 * answer a WireReply; events arrive on the WebSocket `/api/events`. Everything under /api needs
 * the access token (`Authorization: Bearer <token>`, or `?token=` for the WebSocket, which
 * browsers cannot give headers). The static renderer files need none: they hold no data.
 *
 * It listens on loopback only, and refuses requests whose Host is not the loopback address it
 * listens on, so a web page cannot reach it through DNS rebinding.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_METHODS, INVOKE_METHODS, type InvokeMethod } from '../contract/channels';
import type { OneMarkApi } from '../contract/types';
import { ApiInputError } from '../contract/errors';
import { fromWire, HTTP_API_PREFIX, toWire, WS_EVENTS_PATH, type WireReply } from './wire';

export interface ApiServerOptions {
  api: OneMarkApi;
  /** Loopback only: '127.0.0.1' (default), '::1' or 'localhost'. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** Built renderer (out/renderer) to serve at /; omitted: API only. */
  staticDir?: string;
  /** Largest request body accepted, bytes (default 16 MiB). */
  maxBody?: number;
}

export interface ApiServer {
  url: string;
  /** URL that opens the renderer with the token (the page takes it from the fragment). */
  appUrl: string;
  token: string;
  port: number;
  host: string;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiInputError(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new Error(`onemark serve listens on loopback only (127.0.0.1, ::1, localhost), not ${host}`);
  }
  const token = opts.token ?? randomBytes(32).toString('hex');
  const maxBody = opts.maxBody ?? 16 * 1024 * 1024;
  const staticDir = opts.staticDir ? path.resolve(opts.staticDir) : null;
  const methods = new Set<string>(INVOKE_METHODS);
  let port = 0;

  const hostAllowed = (value: string | undefined): boolean => {
    if (!value) return false;
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    return allowed.includes(value.toLowerCase());
  };

  const bearer = (req: IncomingMessage): string | null => {
    const h = req.headers.authorization;
    return h?.startsWith('Bearer ') ? h.slice(7) : null;
  };

  let staticReal: string | null = null;
  /** The renderer folder with its own symlinks resolved (it may itself live behind a link). */
  async function realStaticDir(): Promise<string> {
    staticReal ??= await fs.realpath(staticDir!).catch(() => staticDir!);
    return staticReal;
  }

  async function serveStatic(urlPath: string, res: ServerResponse): Promise<void> {
    if (!staticDir)
      return send(res, 404, { ok: false, error: { name: 'NotFound', message: 'no renderer served' } });
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
    } catch {
      // A malformed %-escape is the client's mistake, not a server fault.
      return send(res, 400, {
        ok: false,
        error: { name: 'BadRequest', message: 'malformed %-escape in the path' },
      });
    }
    if (rel.includes('\0'))
      return send(res, 400, { ok: false, error: { name: 'BadRequest', message: 'NUL in the path' } });
    const file = path.resolve(staticDir, '.' + rel);
    if (!file.startsWith(staticDir + path.sep))
      return send(res, 403, { ok: false, error: { name: 'Forbidden', message: 'outside the app' } });
    let real: string;
    try {
      real = await fs.realpath(file);
      const st = await fs.stat(real);
      if (!st.isFile()) throw new Error('not a file');
    } catch {
      return send(res, 404, { ok: false, error: { name: 'NotFound', message: `${rel} not found` } });
    }
    // A symlink inside the renderer folder must not serve a file from outside it.
    if (!real.startsWith((await realStaticDir()) + path.sep))
      return send(res, 403, { ok: false, error: { name: 'Forbidden', message: 'outside the app' } });
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    createReadStream(real).pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host)) {
      return send(res, 403, { ok: false, error: { name: 'Forbidden', message: 'unexpected Host header' } });
    }
    const url = new URL(req.url ?? '/', 'http://local');
    if (!url.pathname.startsWith(HTTP_API_PREFIX)) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, { ok: false, error: { name: 'MethodNotAllowed', message: req.method ?? '' } });
      return serveStatic(url.pathname, res);
    }
    if (!tokenMatches(bearer(req), token)) {
      return send(res, 401, {
        ok: false,
        error: { name: 'Unauthorized', message: 'missing or wrong access token' },
      });
    }
    const method = url.pathname.slice(HTTP_API_PREFIX.length);
    if (req.method !== 'POST')
      return send(res, 405, { ok: false, error: { name: 'MethodNotAllowed', message: 'use POST' } });
    if (!methods.has(method)) {
      return send(res, 404, { ok: false, error: { name: 'NotFound', message: `no API method ${method}` } });
    }
    let args: unknown[];
    try {
      const body = JSON.parse((await readBody(req, maxBody)) || '{}') as { args?: unknown };
      if (!Array.isArray(body.args)) throw new ApiInputError('body must be {"args": [...]}');
      args = fromWire(body.args) as unknown[];
    } catch (e) {
      return send(res, 400, { ok: false, error: { name: 'ApiInputError', message: (e as Error).message } });
    }
    try {
      const impl = opts.api[method as InvokeMethod] as (...a: unknown[]) => Promise<unknown>;
      const value = await impl.apply(opts.api, args);
      // No `value` key for a void answer, so the client returns undefined and not null.
      send(
        res,
        200,
        value === undefined ? { ok: true } : ({ ok: true, value: toWire(value) } satisfies WireReply),
      );
    } catch (e) {
      const err = e as Error;
      // Input and project-file errors are the user's to fix: 400; anything else is ours: 500.
      // A stale save (another tab saved since) is a conflict to reload, a refused path a 403.
      const status =
        err.name === 'StaleWriteError'
          ? 409
          : err.name === 'PathNotAllowedError'
            ? 403
            : ['ApiInputError', 'ProjectFileError', 'DataError', 'EvaluationInputError'].includes(err.name)
              ? 400
              : 500;
      send(res, status, {
        ok: false,
        error: { name: err.name ?? 'Error', message: err.message ?? String(e) },
      } satisfies WireReply);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent)
        send(res, 500, { ok: false, error: { name: 'Error', message: (e as Error).message } });
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  /**
   * Browsers send Origin on every WebSocket handshake and let any page open one to loopback, so
   * only the server's own origin is accepted. Clients that are not browsers (tests, scripts) send
   * none; they still need the token.
   */
  const originAllowed = (value: string | undefined): boolean => {
    if (value === undefined) return true;
    const allowed = [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
    return allowed.includes(value.toLowerCase());
  };

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (!originAllowed(req.headers.origin)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    if (
      !hostAllowed(req.headers.host) ||
      url.pathname !== WS_EVENTS_PATH ||
      !tokenMatches(url.searchParams.get('token'), token)
    ) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });
  const unsubscribe = EVENT_METHODS.map((method) =>
    opts.api[method]((payload: unknown) => {
      const text = JSON.stringify({ method, payload: toWire(payload) });
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  return {
    url,
    appUrl: `${url}/#token=${token}`,
    token,
    port,
    host,
    server,
    async close() {
      unsubscribe.forEach((off) => off());
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // server.close waits for every open connection to end; a browser that keeps polling keeps
      // its keep-alive connection open for minutes, so a stopped server would hang until then.
      server.closeAllConnections();
      await closed;
    },
  };
}
