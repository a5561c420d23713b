/**
 * What must survive: an engine process outlives the server that started it (the window closing),
 * a new server reattaches to it, and a killed engine resumes from its checkpoint and finishes.
 * A corrupt project file shows a message naming the file, not a blank window.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createHttpClient } from '../../src/api/http/client';
import { isProcessAlive } from '../../src/api/service/job-runner';
import type { JobSummary, OneMarkApi, Project } from '../../src/api/contract/types';
import {
  builtRenderer,
  launchBrowser,
  screenshot,
  skipReason,
  startServe,
  watchPage,
  type Served,
} from './harness';
import { SYNTH_LANDMARKS, writeSyntheticImages } from './synthetic';

const engineReason = skipReason(true);
const pageReason = skipReason(false);
if (engineReason) console.warn(`resilience e2e (engine part) skipped: ${engineReason}`);

let tmp: string;
let renderer: string;
const servers: Served[] = [];

function client(s: Served): OneMarkApi {
  return createHttpClient(s.url, s.token, { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
}

async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-e2e-res-'));
  if (!pageReason) renderer = await builtRenderer();
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!!engineReason)(`engine process${engineReason ? ` (skipped: ${engineReason})` : ''}`, () => {
  it('outlives the server, is reattached, and resumes from its checkpoint after a kill', async () => {
    const stateDir = path.join(tmp, 'state');
    const first = await startServe(stateDir, renderer);
    servers.push(first);
    const api = client(first);
    const images = await writeSyntheticImages(path.join(tmp, 'scans'), 6);
    const dir = path.join(tmp, 'resume-project');
    await api.createProject({
      path: dir,
      name: 'Resume',
      landmarkSet: { name: 'synthetic', landmarks: SYNTH_LANDMARKS.map((name, i) => ({ id: i + 1, name })) },
    });
    let project: Project = await api.importImages(dir, { paths: [path.join(tmp, 'scans')], mode: 'copy' });
    expect(project.images).toHaveLength(6);
    // Copied in: the project holds its images under images/ with relative paths.
    expect(project.images.every((im) => im.file.startsWith('images'))).toBe(true);
    project = await api.setTemplate(dir, images[0].id);
    await api.saveAnnotations(dir, {
      landmarkSet: project.landmarkSet,
      images: [
        { imageId: images[0].id, landmarks: images[0].points.map((point, i) => ({ id: i + 1, point })) },
      ],
    });
    const events: string[] = [];
    api.onJobEvent((e) => events.push(e.type));
    const job = await api.startTraining({
      projectPath: dir,
      method: 'cc2d',
      preset: 'tiny',
      device: 'cpu',
      stage1Iterations: 160,
      stage2Iterations: 30,
    });
    const runDir = path.join(dir, 'runs', job.id);
    const stage1 = path.join(runDir, 'model', 'stage1');
    const failIfEnded = async (a: OneMarkApi) => {
      const j = (await a.listJobs(dir)).find((x) => x.id === job.id);
      if (j && j.state !== 'running' && j.state !== 'queued') {
        throw new Error(`job ended early (${j.state}):\n${(await a.jobLog(job.id, 5000)).join('\n')}`);
      }
    };
    // Periodic checkpoints are pruned to the newest two: wait for any.
    const checkpointAt = (min: number) => () =>
      existsSync(stage1) && readdirSync(stage1).some((f) => Number(/^step-(\d+)/.exec(f)?.[1] ?? -1) >= min);
    await waitFor(
      'a first stage-1 checkpoint',
      async () => (await failIfEnded(api), checkpointAt(20)()),
      90_000,
    );
    expect(events).toContain('progress');

    // The window goes away: the engine keeps training.
    const pid = (await api.listJobs(dir)).find((j) => j.id === job.id)!.pid!;
    await first.stop();
    expect(isProcessAlive(pid)).toBe(true);

    // Reopened: the new server finds the job running and follows it.
    const second = await startServe(stateDir, renderer);
    servers.push(second);
    const api2 = client(second);
    const found = await waitFor(
      'the job in the new server',
      async () => (await api2.listJobs(dir)).find((j) => j.id === job.id),
      10_000,
    );
    expect(found.state).toBe('running');
    expect(found.pid).toBe(pid);

    // A crash mid-run: kill the engine once it has a checkpoint at 40 or later.
    await waitFor(
      'stage-1 checkpoint at step 40',
      async () => (await failIfEnded(api2), checkpointAt(40)()),
      90_000,
    );
    process.kill(pid, 'SIGKILL');
    const done = await waitFor(
      'the resumed job to finish',
      async () => {
        const j = (await api2.listJobs(dir)).find((x) => x.id === job.id);
        return j && ['done', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      150_000,
    );
    const log = await api2.jobLog(job.id, 5000);
    expect(done.state, log.join('\n')).toBe('done');
    expect((done as JobSummary).attempts).toBe(2);
    expect(log.some((l) => l.includes('resuming from the last checkpoint'))).toBe(true);
    const resumedAt = log.map((l) => /stage1: resumed at step (\d+)/.exec(l)).find(Boolean);
    expect(resumedAt, log.join('\n')).toBeTruthy();
    expect(Number(resumedAt![1])).toBeGreaterThanOrEqual(40);
    const preds = JSON.parse(await readFile(path.join(runDir, 'predictions.json'), 'utf8'));
    expect(preds.images).toHaveLength(6);
    const review = await api2.loadReview(dir);
    expect(review.runId).toBe(job.id);
  });
});

describe.skipIf(!!pageReason)(`corrupt project${pageReason ? ` (skipped: ${pageReason})` : ''}`, () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  it('shows what is wrong with the file instead of a blank window', async () => {
    const served = await startServe(path.join(tmp, 'state-corrupt'), renderer);
    servers.push(served);
    const api = client(served);
    const broken = path.join(tmp, 'broken-project');
    await api.createProject({ path: broken, name: 'Broken' });
    const file = path.join(broken, 'onemark-project.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2)); // a torn write, as a crash would leave
    const wrongTemplate = path.join(tmp, 'wrong-template');
    await api.createProject({ path: wrongTemplate, name: 'Wrong' });
    const doc = JSON.parse(await readFile(path.join(wrongTemplate, 'onemark-project.json'), 'utf8'));
    await writeFile(
      path.join(wrongTemplate, 'onemark-project.json'),
      JSON.stringify({ ...doc, templateImageId: 'ghost' }),
    );

    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const log = watchPage(page);
    await page.goto(served.appUrl);
    await page.waitForSelector('input[name=open-path]');
    await page.fill('input[name=open-path]', broken);
    await page.click('button:has-text("Open")');
    const alert = page.locator('[role=alert]');
    await expect.poll(() => alert.textContent()).toContain('invalid JSON');
    expect(await alert.textContent()).toContain(file);
    expect(await page.locator('h1').textContent()).toBe('OneMark');
    await screenshot(page, 'corrupt-project');

    await page.fill('input[name=open-path]', wrongTemplate);
    await page.click('button:has-text("Open")');
    await expect
      .poll(() => alert.textContent())
      .toContain('templateImageId "ghost" is not one of the project');
    // The page survived both: no uncaught errors, only the 400 answers the API gave.
    expect(log.errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });
});
