/**
 * "Run on: Slurm" in the window: with sbatch on PATH (a one-node Slurm from scripts/slurm-local.sh),
 * the training panel offers Slurm for sla; Start training submits stage 1, 2 parts and the merge,
 * and the job shows its Slurm ids and a parts table that follows the parts until they are done.
 * Skips, saying why, without Chromium, without the engine addon, or where the daemons cannot start.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createHttpClient } from '../../src/api/http/client';
import type { OneMarkApi } from '../../src/api/contract/types';
import { repoRoot } from '../app/build-app';
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

function sh(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: repoRoot, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const reason = skipReason(true);
if (reason) console.warn(`slurm e2e skipped: ${reason}`);

describe.skipIf(!!reason)(`Run on Slurm in the window${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let tmp: string;
  let served: Served | undefined;
  let browser: Browser | undefined;
  let conf: string | undefined;
  let startedHere = false;
  let slurmReason = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'onemark-e2e-slurm-'));
    const before = await sh('bash', ['scripts/slurm-local.sh', 'status']);
    const running = /slurmctld: running/.test(before.out) && /slurmd: running/.test(before.out);
    const start = await sh('bash', ['scripts/slurm-local.sh', 'start']);
    conf = /export SLURM_CONF=(\S+)/.exec(start.out)?.[1];
    if (start.code !== 0 || !conf) {
      slurmReason = `the one-node Slurm cluster did not start (exit ${start.code}): ${start.out.trim().split('\n').slice(-2).join(' | ')}`;
      console.warn(`slurm e2e: ${slurmReason}`);
      return;
    }
    startedHere = !running;
    served = await startServe(path.join(tmp, 'state'), await builtRenderer(), { SLURM_CONF: conf });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (startedHere) await sh('bash', ['scripts/slurm-local.sh', 'stop']);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it('submits sla in 2 parts and shows the parts table as the parts run and finish', async (ctx) => {
    if (!served) {
      console.warn(`skipped: ${slurmReason}`);
      ctx.skip();
    }
    const api: OneMarkApi = createHttpClient(served!.url, served!.token, {
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const images = await writeSyntheticImages(path.join(tmp, 'scans'), 5);
    const dir = path.join(tmp, 'project');
    await api.createProject({
      path: dir,
      name: 'Slurm',
      landmarkSet: { name: 'synthetic', landmarks: SYNTH_LANDMARKS.map((name, i) => ({ id: i + 1, name })) },
    });
    await api.importImages(dir, { paths: [path.join(tmp, 'scans')], mode: 'reference' });
    const project = await api.setTemplate(dir, images[0]!.id);
    await api.saveAnnotations(dir, {
      landmarkSet: project.landmarkSet,
      images: [
        { imageId: images[0]!.id, landmarks: images[0]!.points.map((point, i) => ({ id: i + 1, point })) },
      ],
    });

    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const log = watchPage(page);
    await page.goto(served!.appUrl);
    await page.waitForSelector('input[name=open-path]');
    await page.fill('input[name=open-path]', dir);
    await page.click('button:has-text("Open")');
    await page.click('button[name=tab-training]');
    await page.selectOption('select[name=method]', 'sla');
    await page.selectOption('select[name=preset]', 'tiny');
    // Offered because sbatch answers (clusterInfo).
    await page.waitForSelector('select[name=run-on]');
    await page.selectOption('select[name=run-on]', 'slurm');
    await page.fill('input[name=parts]', '2');
    await page.fill('input[name=stage1-iterations]', '20');
    await page.fill('input[name=stage2-iterations]', '40');
    await page.click('button[name=start-training]');

    await page.waitForSelector('article.job .job-ids', { timeout: 120_000 });
    expect(await page.locator('article.job .job-ids').textContent()).toMatch(
      /stage 1 \d+ · parts array\s+\d+ · merge \d+/,
    );
    const rows = page.locator('article.job table.cluster-parts tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(4);
    expect(await rows.locator('td:first-child').allTextContents()).toEqual([
      'stage1',
      'part 1',
      'part 2',
      'merge',
    ]);
    await screenshot(page, 'slurm-parts');
    await page.waitForSelector('article.job[data-state=done]', { timeout: 360_000 });
    await expect
      .poll(() => rows.evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.state)), {
        timeout: 30_000,
      })
      .toEqual(['done', 'done', 'done', 'done']);
    expect(
      await page.locator('article.job table.cluster-parts tr[data-part="1"] td').nth(3).textContent(),
    ).toBe('40/40');
    await screenshot(page, 'slurm-done');
    expect((await api.loadReview(dir)).predictions.images).toHaveLength(5);
    expect(log.errors).toEqual([]);
  }, 600_000);
});
