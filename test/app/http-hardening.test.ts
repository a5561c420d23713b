/**
 * Issue 10, `onemark serve`'s transport: static files never come from outside the renderer folder
 * (symlinks included), a malformed %-escape is the client's 400 and not a 500, and the event
 * WebSocket only accepts the server's own origin (or none: clients that are not browsers).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startApiServer, type ApiServer } from '../../src/api/http/server';
import { createApiService } from '../../src/api/service/service';

let tmp: string;
let server: ApiServer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-http-hard-'));
  const staticDir = path.join(tmp, 'renderer');
  await mkdir(path.join(staticDir, 'assets'), { recursive: true });
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>OneMark</title>');
  await writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  await mkdir(path.join(tmp, 'private'));
  await writeFile(path.join(tmp, 'private', 'secret.txt'), 'secret');
  await symlink(path.join(tmp, 'private', 'secret.txt'), path.join(staticDir, 'leak.txt'));
  await symlink(path.join(tmp, 'private'), path.join(staticDir, 'leakdir'));
  // A link that stays inside the renderer folder is fine.
  await symlink(path.join(staticDir, 'assets', 'app.js'), path.join(staticDir, 'alias.js'));
  server = await startApiServer({ api: createApiService({ stateDir: path.join(tmp, 'state') }), staticDir });
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('static files', () => {
  it('does not follow symlinks out of the renderer folder', async () => {
    for (const p of ['/leak.txt', '/leakdir/secret.txt']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status, p).toBe(403);
      expect(await res.text()).not.toContain('secret');
    }
    const inside = await fetch(`${server.url}/alias.js`);
    expect(inside.status).toBe(200);
    expect(await inside.text()).toBe('console.log(1)');
  });

  it('answers a malformed %-escape with 400, not 500', async () => {
    for (const p of ['/%', '/%zz', '/assets/%E0%A4%A', '/%C0%AF']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status, p).toBe(400);
      expect(await res.json()).toMatchObject({ ok: false, error: { name: 'BadRequest' } });
    }
    expect((await fetch(`${server.url}/assets/app%2Ejs`)).status).toBe(200);
  });
});

describe('event WebSocket origin', () => {
  const open = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/events?token=${server.token}`, {
        headers,
      });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });

  it('refuses a page of another origin, even with the token', async () => {
    expect(await open({ origin: 'http://evil.example' })).toBe(403);
    expect(await open({ origin: 'null' })).toBe(403);
    expect(await open({ origin: `http://127.0.0.1:${server.port + 1}` })).toBe(403);
  });

  it("accepts the server's own origin, and clients that send none", async () => {
    expect(await open({ origin: `http://127.0.0.1:${server.port}` })).toBe(101);
    expect(await open({ origin: `http://localhost:${server.port}` })).toBe(101);
    expect(await open({})).toBe(101);
  });
});
