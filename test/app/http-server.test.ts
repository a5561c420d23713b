/**
 * `onemark serve`'s transport refuses what it must: requests without the token, other Host
 * headers (DNS rebinding), paths outside the renderer, and any address but loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startApiServer, type ApiServer } from '../../src/api/http/server';
import { createApiService } from '../../src/api/service/service';
import { fromWire, toWire } from '../../src/api/http/wire';

let tmp: string;
let server: ApiServer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-http-'));
  const staticDir = path.join(tmp, 'renderer');
  await (await import('node:fs/promises')).mkdir(staticDir);
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>OneMark</title>');
  await writeFile(path.join(tmp, 'secret.txt'), 'secret');
  server = await startApiServer({ api: createApiService({ stateDir: path.join(tmp, 'state') }), staticDir });
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

const call = (token: string | null, method = 'listProjects', init: RequestInit = {}) =>
  fetch(`${server.url}/api/${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ args: [] }),
    ...init,
  });

describe('HTTP transport security', () => {
  it('uses a long random token and listens on 127.0.0.1 only', () => {
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1' });
    expect(server.appUrl).toBe(`${server.url}/#token=${server.token}`);
  });

  it('refuses API requests without the token or with a wrong one', async () => {
    expect((await call(null)).status).toBe(401);
    expect((await call('0'.repeat(64))).status).toBe(401);
    const ok = await call(server.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, value: [] });
  });

  it('refuses the event WebSocket without the token', async () => {
    const attempt = (url: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('error', () => resolve('refused'));
      });
    const ws = server.url.replace('http', 'ws') + '/api/events';
    expect(await attempt(ws)).toBe('refused');
    expect(await attempt(`${ws}?token=wrong`)).toBe('refused');
    expect(await attempt(`${ws}?token=${server.token}`)).toBe('open');
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/listProjects',
          method: 'POST',
          headers: { host: 'evil.example:80', authorization: `Bearer ${server.token}` },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end('{"args":[]}');
    });
    expect(status).toBe(403);
  });

  it('serves the renderer without the token but nothing outside it', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    expect((await fetch(`${server.url}/%2e%2e/secret.txt`)).status).not.toBe(200);
    expect((await fetch(`${server.url}/..%2fsecret.txt`)).status).not.toBe(200);
  });

  it('answers unknown methods and malformed bodies with errors, not crashes', async () => {
    expect((await call(server.token, 'deleteEverything')).status).toBe(404);
    const bad = await call(server.token, 'openProject', { body: '{"args": "x"}' });
    expect(bad.status).toBe(400);
    const rel = await call(server.token, 'openProject', { body: JSON.stringify({ args: ['relative'] }) });
    expect(rel.status).toBe(400);
    expect(((await rel.json()) as { error: { message: string } }).error.message).toMatch(/absolute path/);
  });

  it('is not reachable on other interfaces, and refuses to bind them', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const address of others) {
      const result = await new Promise<string>((resolve) => {
        const s = connect({ host: address, port: server.port });
        s.on('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(result, address).not.toBe('connected');
    }
    if (others.length === 0)
      console.warn('no non-loopback IPv4 interface here: only the bind refusal is checked');
    await expect(
      startApiServer({ api: createApiService({ stateDir: tmp }), host: '0.0.0.0' }),
    ).rejects.toThrow(/loopback only/);
  });
});

describe('wire encoding', () => {
  it('carries typed arrays through JSON unchanged', () => {
    const value = {
      a: new Uint16Array([0, 1, 65535]),
      b: [new Uint8Array([7]), { c: new Float32Array([0.5]) }],
      d: 'x',
      e: null,
    };
    const back = fromWire(JSON.parse(JSON.stringify(toWire(value)))) as typeof value;
    expect(back.a).toBeInstanceOf(Uint16Array);
    expect([...back.a]).toEqual([0, 1, 65535]);
    expect(back.b[0]).toBeInstanceOf(Uint8Array);
    expect([...(back.b[1] as { c: Float32Array }).c]).toEqual([0.5]);
    expect(back.d).toBe('x');
    expect(back.e).toBeNull();
  });
});
