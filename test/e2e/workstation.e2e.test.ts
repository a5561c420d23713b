/**
 * The researcher's path end to end, in Chromium against `onemark serve`: create a project, import
 * synthetic images (five PNG, one DICOM), mark the template by clicking in the Cornerstone viewer,
 * check that Cornerstone draws it and that zoom and window/level change the view, train a tiny CC2D
 * run, watch it reach 100 %, review predictions, correct one landmark by dragging, show the DICOM
 * image through dicom-image-loader, export CSV and check it.
 */
import { decode } from 'fast-png';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLandmarkCsv, parseLandmarkCsv } from '../../src/data';
import {
  builtRenderer,
  canvasPoint,
  launchBrowser,
  screenshot,
  skipReason,
  startServe,
  watchPage,
  type Served,
} from './harness';
import { SYNTH_LANDMARKS, writeSyntheticImages, type SyntheticImage } from './synthetic';

const reason = skipReason(true);
if (reason) console.warn(`workstation e2e skipped: ${reason}`);

let tmp: string;
let served: Served | undefined;
let browser: Browser | undefined;
let page: Page;
let images: SyntheticImage[];
let pageLog: { errors: string[] };

/** Grey level on screen at an original-pixel point of the viewer (0 where it is not grey). */
async function greyAt(p: Page, at: { x: number; y: number }): Promise<number> {
  const s = await canvasPoint(p, at);
  const shot = decode(await p.screenshot({ clip: { x: s.x - 1, y: s.y - 1, width: 3, height: 3 } }));
  const i = (shot.width + 1) * shot.channels;
  const [r, g, b] = [shot.data[i], shot.data[i + 1], shot.data[i + 2]];
  return Math.max(r, g, b) - Math.min(r, g, b) > 12 ? 0 : Math.min(r, g, b);
}

describe.skipIf(!!reason)(`workstation end to end${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'onemark-e2e-'));
    images = await writeSyntheticImages(path.join(tmp, 'scans'), 6, { dicom: [5] });
    const renderer = await builtRenderer();
    served = await startServe(path.join(tmp, 'state'), renderer);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    pageLog = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const projectDir = () => path.join(tmp, 'ceph-project');

  it('creates a project and imports images', async () => {
    await page.goto(served!.appUrl);
    await expect.poll(() => page.locator('h1').textContent()).toBe('OneMark');
    // The token left the address bar once the page took it.
    expect(page.url()).not.toContain('token=');
    await page.fill('input[name=project-path]', projectDir());
    await page.fill('input[name=project-name]', 'Synthetic');
    await page.selectOption('select[name=landmark-preset]', 'custom');
    await page.click('button:has-text("Create project")');
    await page.waitForSelector('textarea[name=import-paths]');
    await page.fill('textarea[name=import-paths]', path.join(tmp, 'scans'));
    await page.click('button[name=import]');
    await expect.poll(() => page.locator('table.images tr').count()).toBe(6);
    await page.fill('textarea[name=landmark-names]', SYNTH_LANDMARKS.join('\n'));
    await page.click('button[name=apply-names]');
    await expect.poll(() => page.locator('.muted:has-text("(3)")').count()).toBeGreaterThan(0);
    await page.click(`tr[data-image=${images[0].id}] button.use-template`);
    await page.waitForSelector(`.image-viewport[data-image=${images[0].id}]`);
  });

  it('marks every template landmark by clicking in the viewer', async () => {
    for (const [i, p] of images[0].points.entries()) {
      await expect.poll(() => page.locator('.current-name').textContent()).toBe(SYNTH_LANDMARKS[i]);
      const s = await canvasPoint(page, p);
      await page.mouse.move(s.x, s.y);
      await page.mouse.click(s.x, s.y);
    }
    await expect.poll(() => page.locator('.landmarks li.done').count()).toBe(3);
    const annotations = path.join(projectDir(), 'annotations.json');
    const saved = async () =>
      JSON.parse(await readFile(annotations, 'utf8')).images[0]?.landmarks?.[1]?.point?.x;
    await expect.poll(saved).toBeCloseTo(images[0].points[1].x, 0);
    // Drag landmark 2 five pixels right, then undo with the keyboard.
    const from = await canvasPoint(page, images[0].points[1]);
    const to = await canvasPoint(page, { x: images[0].points[1].x + 5, y: images[0].points[1].y });
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 5 });
    await page.mouse.up();
    await expect.poll(saved).toBeCloseTo(images[0].points[1].x + 5, 0);
    await page.keyboard.press('Control+z');
    await expect.poll(saved).toBeCloseTo(images[0].points[1].x, 0);
    await screenshot(page, 'template-marking');
    // Saved to the project (atomic write by the API), in original pixels.
    await expect
      .poll(async () => {
        const doc = JSON.parse(await readFile(path.join(projectDir(), 'annotations.json'), 'utf8'));
        return doc.images[0]?.landmarks?.length ?? 0;
      })
      .toBe(3);
    const doc = JSON.parse(await readFile(path.join(projectDir(), 'annotations.json'), 'utf8'));
    for (const [i, p] of images[0].points.entries()) {
      expect(doc.images[0].landmarks[i].point.x).toBeCloseTo(p.x, 0);
      expect(doc.images[0].landmarks[i].point.y).toBeCloseTo(p.y, 0);
    }
  });

  it('draws the template with a Cornerstone StackViewport; zoom and window/level change the view', async () => {
    const vp = page.locator('.image-viewport');
    // Cornerstone enabled the element (its canvas inside) and shows the template through the
    // onemark: image loader.
    expect(await vp.getAttribute('data-viewport-id')).toMatch(/^onemark-viewport-/);
    expect(await vp.locator('canvas.cornerstone-canvas').count()).toBe(1);
    expect(await vp.getAttribute('data-cs-image-id')).toBe(
      `onemark:${encodeURIComponent(projectDir())}/${images[0].id}`,
    );
    expect(await vp.getAttribute('data-loader')).toBe('onemark');
    // What is on screen is the image: the disk is bright, the background dark.
    const disk = images[0].points[0];
    const inDisk = { x: disk.x, y: disk.y + 4 }; // beside the landmark's marker, inside the disk
    const outside = { x: 10, y: 110 };
    const grey = (p: { x: number; y: number }) => greyAt(page, p);
    const diskGrey = await grey(inDisk);
    expect(diskGrey).toBeGreaterThan(150);
    expect(await grey(outside)).toBeLessThan(110);
    // Wheel zoom (Cornerstone's ZoomTool) enlarges the image about the cursor.
    const scale = Number(await vp.getAttribute('data-scale'));
    const c = await canvasPoint(page, disk);
    await page.mouse.move(c.x, c.y);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -200);
    await expect.poll(async () => Number(await vp.getAttribute('data-scale'))).toBeGreaterThan(scale * 1.1);
    // ... about the cursor: the disk's centre stays under it.
    const c2 = await canvasPoint(page, disk);
    expect(Math.hypot(c2.x - c.x, c2.y - c.y)).toBeLessThan(3);
    expect(await grey(inDisk)).toBeGreaterThan(150);
    await screenshot(page, 'viewer-zoomed');
    await page.click('button[name=fit]');
    await expect.poll(async () => Number(await vp.getAttribute('data-scale'))).toBeCloseTo(scale, 3);
    // Window/level from the sliders: a higher level darkens the disk.
    const voi = await vp.getAttribute('data-voi');
    await page.locator('input[name=window-level]').fill('200');
    await expect.poll(() => vp.getAttribute('data-voi')).not.toBe(voi);
    await expect.poll(() => grey(inDisk)).toBeLessThan(diskGrey - 30);
    // ... and from Cornerstone's WindowLevelTool (ctrl + drag).
    const afterSlider = await vp.getAttribute('data-voi');
    const o = await canvasPoint(page, outside);
    await page.mouse.move(o.x, o.y);
    await page.keyboard.down('Control');
    await page.mouse.down();
    await page.mouse.move(o.x + 40, o.y + 30, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Control');
    await expect.poll(() => vp.getAttribute('data-voi')).not.toBe(afterSlider);
    // Invert flips it.
    await page.selectOption('select[name=window-preset]', '0');
    await expect.poll(() => grey(inDisk)).toBeGreaterThan(150);
    await page.check('input[name=invert]');
    await expect.poll(() => grey(inDisk)).toBeLessThan(100);
    await page.uncheck('input[name=invert]');
    await expect.poll(() => grey(inDisk)).toBeGreaterThan(150);
    // Nothing of this touched the landmarks.
    const doc = JSON.parse(await readFile(path.join(projectDir(), 'annotations.json'), 'utf8'));
    expect(doc.images[0].landmarks[0].point.x).toBeCloseTo(disk.x, 0);
  });

  it('trains a tiny CC2D run and shows progress reaching 100 %', async () => {
    await page.click('button[name=tab-training]');
    // The method selector offers every TrainingMethod, CC2D first.
    await expect
      .poll(() =>
        page
          .locator('select[name=method] option')
          .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      )
      .toEqual(['cc2d', 'sla', 'atd', 'adapter', 'f2']);
    await page.selectOption('select[name=method]', 'cc2d');
    await page.selectOption('select[name=preset]', 'tiny');
    await page.fill('input[name=stage1-iterations]', '60');
    await page.fill('input[name=stage2-iterations]', '60');
    await page.click('button[name=start-training]');
    await page.waitForSelector('article.job');
    // Live progress arrives over the WebSocket: a stage name shows before the end.
    await page.waitForSelector('article.job .stage', { timeout: 60_000 });
    await page.waitForSelector('article.job[data-state=done]', { timeout: 180_000 });
    expect(await page.locator('article.job [role=progressbar]').getAttribute('aria-valuenow')).toBe('100');
    await screenshot(page, 'training');
  });

  let corrected: { imageId: string; x: number; y: number };

  it('shows predictions on the other images and corrects one landmark by dragging', async () => {
    await page.click('button[name=tab-review]');
    await expect.poll(() => page.locator('button.queue-item').count()).toBe(5);
    const runs = await readdir(path.join(projectDir(), 'runs'));
    const preds = JSON.parse(
      await readFile(path.join(projectDir(), 'runs', runs[0], 'predictions.json'), 'utf8'),
    );
    const first = (await page.locator('button.queue-item').first().getAttribute('data-image'))!;
    await page.click(`button.queue-item[data-image=${first}]`);
    await page.waitForSelector(`.image-viewport[data-image=${first}]`);
    const pred = preds.images.find((a: { imageId: string }) => a.imageId === first).landmarks[0].point;
    const truth = images.find((im) => im.id === first)!.points[0];
    // Drag the prediction to a point that is surely different from it.
    const target = { x: truth.x + 0.5, y: truth.y === Math.round(pred.y) ? truth.y + 3 : truth.y };
    const from = await canvasPoint(page, pred);
    const to = await canvasPoint(page, target);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(async () => {
        try {
          const c = JSON.parse(await readFile(path.join(projectDir(), 'corrections.json'), 'utf8'));
          return c.images.length;
        } catch {
          return 0;
        }
      })
      .toBe(1);
    const c = JSON.parse(await readFile(path.join(projectDir(), 'corrections.json'), 'utf8'));
    expect(c.images[0].imageId).toBe(first);
    expect(c.images[0].landmarks[0].point.x).toBeCloseTo(target.x, 0);
    expect(c.images[0].landmarks[0].point.y).toBeCloseTo(target.y, 0);
    corrected = { imageId: first, ...c.images[0].landmarks[0].point };
    // The prediction itself is untouched.
    const again = JSON.parse(
      await readFile(path.join(projectDir(), 'runs', runs[0], 'predictions.json'), 'utf8'),
    );
    expect(again).toEqual(preds);
    // Ground truth turns on the evaluation view (per-landmark errors from src/evaluation).
    const gt = path.join(tmp, 'truth.csv');
    await writeFile(
      gt,
      formatLandmarkCsv({
        landmarkSet: {
          name: 'synthetic',
          landmarks: SYNTH_LANDMARKS.map((name, i) => ({ id: i + 1, name })),
        },
        images: images.map((im) => ({
          imageId: im.id,
          landmarks: im.points.map((point, i) => ({ id: i + 1, point })),
        })),
      }),
    );
    await page.fill('input[name=ground-truth]', gt);
    await page.click('button:has-text("Load GT")');
    await page.waitForSelector('section.evaluation');
    expect(await page.locator('section.evaluation tr').count()).toBe(3);
    expect(await page.locator('section.evaluation').textContent()).toMatch(
      /MRE \d+\.\d+ ± \d+\.\d+ (mm|px) on 5 images/,
    );
    // PNGs carry no spacing: figures say px, and no scale bar pretends otherwise.
    expect(await page.locator('section.evaluation h3').textContent()).toContain('(px)');
    expect(await page.locator('.bar .spacing').textContent()).toContain('no pixel spacing');
    expect(await page.locator('.scale-bar').count()).toBe(0);
    await page.click('button[name=mark-reviewed]');
    await expect.poll(() => page.locator(`button.queue-item.reviewed`).count()).toBe(1);
    await screenshot(page, 'review');
    // The DICOM image goes through Cornerstone's dicom-image-loader (its file's bytes from the API).
    const dicom = images[5];
    await page.click(`button.thumb[data-image=${dicom.id}]`);
    await page.waitForSelector(`.image-viewport[data-image=${dicom.id}]`);
    const vp = page.locator('.image-viewport');
    expect(await vp.getAttribute('data-loader')).toBe('dicom');
    expect(await vp.getAttribute('data-cs-image-id')).toMatch(/^dicomfile:\d+$/);
    // Its predictions sit where the image's shapes are, as for the PNG images.
    // (Two points inside the disk: a predicted marker may cover one of them.)
    const [a, b] = [
      { x: dicom.points[0].x - 4, y: dicom.points[0].y },
      { x: dicom.points[0].x, y: dicom.points[0].y + 4 },
    ];
    expect(Math.max(await greyAt(page, a), await greyAt(page, b))).toBeGreaterThan(150);
    await screenshot(page, 'review-dicom');
  });

  it('exports CSV with the corrected value', async () => {
    await page.click('button[name=tab-export]');
    await page.selectOption('select[name=export-format]', 'csv');
    await page.selectOption('select[name=export-values]', 'corrected');
    await page.click('button[name=export]');
    const file = (await page.locator('.export-file').first().textContent({ timeout: 30_000 }))!.trim();
    expect(file.startsWith(path.join(projectDir(), 'exports'))).toBe(true);
    const text = await readFile(file, 'utf8');
    const { set, problems } = parseLandmarkCsv(text, file);
    expect(problems).toEqual([]);
    expect(set.images.map((a) => a.imageId).sort()).toEqual(images.map((im) => im.id).sort());
    for (const a of set.images) expect(a.landmarks.filter((v) => v.point).length).toBe(3);
    const fixed = set.images.find((a) => a.imageId === corrected.imageId)!.landmarks.find((v) => v.id === 1)!;
    expect(fixed.point).toEqual({ x: corrected.x, y: corrected.y });
    expect(fixed.source).toBe('correction');
    const template = set.images.find((a) => a.imageId === images[0].id)!;
    expect(template.landmarks.every((v) => v.source === 'template')).toBe(true);
    const other = set.images.find((a) => a.imageId !== images[0].id && a.imageId !== corrected.imageId)!;
    expect(other.landmarks.every((v) => v.source === 'prediction' && v.confidence !== undefined)).toBe(true);
    await screenshot(page, 'export');
    expect(pageLog.errors).toEqual([]);
  });
});
