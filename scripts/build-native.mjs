#!/usr/bin/env node
// Builds the libtorch Node-API addon: native/src/*.cpp -> native/build/onemark.node, straight with g++.
//
// No node-gyp: it wants to download headers, and the network here reaches only the npm registry.
// Translation units compile in parallel (libtorch headers dominate the time), each object is
// reused while its source, the shared headers and the flags are unchanged, and the whole build is
// skipped when a stamp of all of them matches.
//
// Options: --force (rebuild everything), --nodedir=DIR (Node headers at DIR/include/node; also env
// ONEMARK_NODEDIR), --jobs=N (also env ONEMARK_JOBS; default 2), --debug (-O0 -g), --quiet.
// Env LIBTORCH selects a libtorch (see scripts/libtorch.mjs).
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch, LibtorchNotFoundError } from './libtorch.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(repo, 'native', 'src');
const buildDir = path.join(repo, 'native', 'build');
const objDir = path.join(buildDir, 'obj');
const output = path.join(buildDir, 'onemark.node');
const stampFile = path.join(buildDir, 'onemark.stamp');

function parseArgs(argv) {
  const opts = {
    force: false,
    nodedir: process.env.ONEMARK_NODEDIR,
    jobs: Number(process.env.ONEMARK_JOBS) || 2,
    debug: false,
    quiet: false,
  };
  for (const a of argv) {
    if (a === '--force') opts.force = true;
    else if (a === '--debug') opts.debug = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a.startsWith('--nodedir=')) opts.nodedir = a.slice('--nodedir='.length);
    else if (a.startsWith('--jobs=')) opts.jobs = Math.max(1, Number(a.slice('--jobs='.length)) || 1);
    else throw new Error(`build-native: unknown option ${a}`);
  }
  return opts;
}

/** Directory holding node_api.h: --nodedir/ONEMARK_NODEDIR, npm's nodedir, then next to the node binary. */
function findNodeHeaders(nodedir) {
  const tried = [];
  const check = (dir) => {
    if (!dir) return undefined;
    const inc = path.join(dir, 'include', 'node');
    tried.push(inc);
    return existsSync(path.join(inc, 'node_api.h')) ? inc : undefined;
  };
  if (nodedir) {
    const inc = check(path.resolve(nodedir));
    if (!inc) throw new Error(`build-native: no include/node/node_api.h under --nodedir ${nodedir}`);
    return inc;
  }
  let npmNodedir = process.env.npm_config_nodedir;
  if (!npmNodedir) {
    try {
      npmNodedir = execFileSync('npm', ['config', 'get', 'nodedir'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      npmNodedir = undefined; // npm absent (e.g. a bare GPU machine): fall through
    }
  }
  const found =
    check(npmNodedir && npmNodedir !== 'undefined' && npmNodedir !== 'null' ? npmNodedir : undefined) ??
    check(path.resolve(path.dirname(process.execPath), '..'));
  if (!found)
    throw new Error(
      `build-native: Node-API headers not found (looked in ${tried.join(', ')}); pass --nodedir=DIR or set ONEMARK_NODEDIR`,
    );
  return found;
}

function run(cmd, args, quiet) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (!quiet) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}\n${quiet ? err : ''}`)),
    );
  });
}

async function parallel(tasks, jobs) {
  let next = 0;
  const errors = [];
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  if (errors.length) throw errors[0];
}

const hash = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p)).update('\0');
  return h.digest('hex');
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = opts.quiet ? () => {} : (m) => console.log(`build-native: ${m}`);

  let torch;
  try {
    torch = findLibtorch();
  } catch (e) {
    if (e instanceof LibtorchNotFoundError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  log(`libtorch ${torch.version} (${torch.source}: ${torch.libDir}), ${torch.cuda ? 'CUDA' : 'CPU only'}`);

  const nodeInclude = findNodeHeaders(opts.nodedir);
  const require = createRequire(import.meta.url);
  const napiInclude = require('node-addon-api').include_dir;

  const cxx = process.env.CXX || 'g++';
  const cxxflags = [
    '-fPIC',
    '-fvisibility=hidden',
    ...(opts.debug ? ['-O0', '-g'] : ['-O2']),
    '-Wall',
    '-Wno-unused-parameter',
    `-I${nodeInclude}`,
    `-I${napiInclude}`,
    ...torch.cxxflags,
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    '-DNODE_GYP_MODULE_NAME=onemark',
    `-DONEMARK_LIBTORCH_SOURCE="${torch.source}"`,
  ];
  const ldflags = ['-shared', ...torch.ldflags];

  const sources = readdirSync(srcDir)
    .filter((f) => f.endsWith('.cpp'))
    .sort();
  const headers = readdirSync(srcDir)
    .filter((f) => f.endsWith('.h'))
    .sort();
  if (sources.length === 0) throw new Error(`build-native: no .cpp files in ${srcDir}`);
  const headerText = headers.map((h) => h + readFileSync(path.join(srcDir, h), 'utf8')).join('\0');
  const sourceText = Object.fromEntries(sources.map((s) => [s, readFileSync(path.join(srcDir, s), 'utf8')]));

  const total = hash(cxx, cxxflags, ldflags, headerText, sourceText);
  if (
    !opts.force &&
    existsSync(output) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8').trim() === total
  ) {
    log(`up to date: ${path.relative(repo, output)}`);
    return;
  }
  mkdirSync(objDir, { recursive: true });

  const started = Date.now();
  const objects = [];
  const tasks = [];
  for (const s of sources) {
    const obj = path.join(objDir, s.replace(/\.cpp$/, '.o'));
    const objStamp = `${obj}.hash`;
    objects.push(obj);
    const h = hash(cxx, cxxflags, headerText, sourceText[s]);
    if (!opts.force && existsSync(obj) && existsSync(objStamp) && readFileSync(objStamp, 'utf8') === h)
      continue;
    tasks.push(async () => {
      const t0 = Date.now();
      rmSync(objStamp, { force: true });
      await run(cxx, [...cxxflags, '-c', path.join(srcDir, s), '-o', obj], opts.quiet);
      writeFileSync(objStamp, h);
      log(`compiled ${s} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    });
  }
  log(`compiling ${tasks.length} of ${sources.length} translation units with ${opts.jobs} jobs`);
  await parallel(tasks, opts.jobs);

  // Link to a temporary name first so a failed link never leaves a half-written addon behind.
  const tmp = `${output}.tmp`;
  await run(cxx, ['-o', tmp, ...objects, ...ldflags], opts.quiet);
  renameSync(tmp, output);
  writeFileSync(stampFile, total + '\n');
  log(`built ${path.relative(repo, output)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
