/**
 * `onemark serve [--port N] [--host 127.0.0.1] [--state DIR] [--renderer DIR] [--token T]`
 * The workstation's API over HTTP + WebSocket on loopback with a random access token, serving
 * the built renderer (out/renderer, from `npm run build`) so a browser gets the same app the
 * Electron window shows. Training runs in engine processes that outlive this server.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { addonFileProbe, engineProcessProbe } from '../../api/service/engine-probe';
import { startApiServer, type ApiServer } from '../../api/http/server';
import { pathsUnder } from '../../api/service/path-policy';
import { createApiService } from '../../api/service/service';
import { CliError } from '../errors';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface ServeOptions {
  port: string;
  host: string;
  state?: string;
  renderer?: string;
  token?: string;
  root?: string[];
}

export function defaultStateDir(): string {
  return process.env.ONEMARK_STATE_DIR ?? path.join(os.homedir(), '.onemark');
}

/**
 * The folders a browser may create projects in and import from: those given with --root, or by
 * default the user's home folder; the app's own projects folder always.
 */
export function servedRoots(roots: readonly string[] | undefined, stateDir: string): string[] {
  const chosen = roots && roots.length > 0 ? roots.map((r) => path.resolve(r)) : [os.homedir()];
  for (const r of chosen) {
    if (!existsSync(r)) throw new CliError(`--root ${r}: no such folder`);
  }
  return [...chosen, path.join(stateDir, 'projects')];
}

export async function serve(o: ServeOptions): Promise<ApiServer> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port: expected 0..65535, got '${o.port}'`);
  const rendererDir = path.resolve(o.renderer ?? path.join(repoRoot, 'out', 'renderer'));
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new CliError(
      `${rendererDir}: no built renderer (index.html); run \`npm run build\` first or pass --renderer`,
    );
  }
  if (o.token !== undefined && o.token.length < 16) throw new CliError('--token: use at least 16 characters');
  const stateDir = path.resolve(o.state ?? defaultStateDir());
  const api = createApiService({
    stateDir,
    paths: pathsUnder(servedRoots(o.root, stateDir)),
    app: { name: 'OneMark', version: '0.1.0' },
    engineProbe: engineProcessProbe({
      fallback: addonFileProbe([
        process.env.ONEMARK_NATIVE_ADDON ?? path.join(repoRoot, 'native', 'build', 'onemark.node'),
      ]),
      repoRoot,
    }),
  });
  try {
    return await startApiServer({ api, host: o.host, port, token: o.token, staticDir: rendererDir });
  } catch (e) {
    throw new CliError(`serve: ${(e as Error).message}`);
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the workstation (API + renderer) over HTTP + WebSocket on 127.0.0.1 with an access token',
    )
    .option('--port <n>', 'port (0: a free one)', '0')
    .option('--host <addr>', 'loopback address to bind: 127.0.0.1, ::1 or localhost', '127.0.0.1')
    .option(
      '--state <dir>',
      'app state folder: projects/ and the recent list (default ~/.onemark or $ONEMARK_STATE_DIR)',
    )
    .option('--renderer <dir>', 'built renderer to serve (default out/renderer)')
    .option('--token <token>', 'access token (default: random; prefer the default)')
    .option(
      '--root <dir>',
      'a folder the browser may create projects in and import from (repeatable; default: your home folder)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (o: ServeOptions) => {
      const server = await serve(o);
      // One machine-readable line first (tests and scripts read it), then the human one.
      process.stdout.write(
        `${JSON.stringify({ url: server.url, appUrl: server.appUrl, token: server.token })}\n`,
      );
      process.stderr.write(
        `OneMark serving on ${server.url}\nopen ${server.appUrl}\n` +
          `projects and imports: under ${servedRoots(o.root, path.resolve(o.state ?? defaultStateDir())).join(', ')}\n` +
          `(Ctrl-C stops the server; training jobs keep running)\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

/** Direct entry until src/cli/main.ts registers `serve`: `tsx src/cli/commands/serve.ts [options]`. */
async function runDirect(): Promise<void> {
  const { Command } = await import('commander');
  const program = new Command('onemark');
  registerServe(program);
  try {
    await program.parseAsync(['node', 'onemark', 'serve', ...process.argv.slice(2)]);
  } catch (e) {
    process.stderr.write(`onemark serve: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runDirect();
}
