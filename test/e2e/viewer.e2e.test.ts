/**
 * The image viewer in Chromium against `onemark serve` (issue 14, viewer items): wheel zoom in
 * clear steps about the cursor; landmark labels laid out without overlaps at fit zoom; the DICOM
 * corner overlay (patient-free tags only, W/L in step with the preset list, scale bar in mm or px);
 * a per-image pixel spacing entered on the Images tab, kept, and used by the review and exports.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/api/http/client';
import type { AnnotationSet, LandmarkSet, OneMarkApi } from '../../src/api/contract/types';
import { le16, TS, writeDicom } from '../data/helpers/dicomWriter';
import {
  builtRenderer,
  canvasPoint,
  launchBrowser,
  skipReason,
  startServe,
  watchPage,
  type Served,
} from './harness';
import { SYNTH_LANDMARKS, writeSyntheticImages, type SyntheticImage } from './synthetic';

const reason = skipReason(false);
if (reason) console.warn(`viewer e2e skipped: ${reason}`);

const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

let tmp: string;
let served: Served | undefined;
let browser: Browser | undefined;
let page: Page;
let api: OneMarkApi;
let images: SyntheticImage[];
let pageLog: { errors: string[] };
const synthSet: LandmarkSet = {
  name: 'synthetic',
  landmarks: SYNTH_LANDMARKS.map((name, i) => ({ id: i + 1, name })),
};

/** Opens `dir` on `view` the way a returning user gets it: the window reopens the last project. */
async function openInPage(dir: string, view: string): Promise<void> {
  await api.saveUiState({ lastProject: dir, view });
  await page.goto('about:blank');
  await page.goto(served!.appUrl);
  await page.waitForSelector(`button[name=tab-${view}][aria-selected=true]`);
}

async function newProject(
  name: string,
  set: LandmarkSet,
  files: string[],
  template: string,
): Promise<string> {
  const dir = path.join(tmp, name);
  await api.createProject({ path: dir, name, landmarkSet: set });
  await api.importImages(dir, { paths: files, mode: 'reference' });
  await api.setTemplate(dir, template);
  return dir;
}

const scaleOf = async (): Promise<number> =>
  Number(await page.locator('.image-viewport').getAttribute('data-scale'));

/** Waits until the viewer's scale stops changing (Cornerstone renders on the next frame). */
async function settledScale(): Promise<number> {
  let last = NaN;
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(50);
    const s = await scaleOf();
    if (s === last) return s;
    last = s;
  }
  return last;
}

type Box = { x: number; y: number; width: number; height: number };
const intersects = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * ISBI 2015-like landmark positions (pixels of a 1935 × 2400 radiograph at 0.1 mm), in the
 * preset's order: the incisors, lips and chin points lie within a few millimetres of each other.
 */
const ISBI_LIKE: [number, number][] = [
  [800, 1000], // S
  [1400, 950], // N
  [1290, 1150], // Or
  [620, 1150], // Po
  [1380, 1500], // A
  [1330, 1830], // B
  [1320, 1960], // Pog
  [1270, 2030], // Me
  [1305, 2010], // Gn
  [700, 1730], // Go
  [1400, 1645], // LIT
  [1415, 1655], // UIT
  [1520, 1600], // UL
  [1505, 1700], // LL
  [1500, 1470], // Sn
  [1430, 1960], // Pog'
  [950, 1450], // PNS
  [1430, 1440], // ANS
  [680, 1300], // Ar
];

describe.skipIf(!!reason)(`viewer${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'onemark-viewer-'));
    images = await writeSyntheticImages(path.join(tmp, 'scans'), 3);
    const renderer = await builtRenderer();
    served = await startServe(path.join(tmp, 'state'), renderer);
    api = createHttpClient(served.url, served.token);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    pageLog = watchPage(page);
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('2: each wheel notch zooms by ×1.25, about the cursor', async () => {
    const dir = await newProject(
      'zoom',
      synthSet,
      images.map((im) => im.file),
      images[0].id,
    );
    await openInPage(dir, 'template');
    await page.waitForSelector(`.image-viewport[data-image=${images[0].id}]`);
    const fit = await settledScale();
    const disk = images[0].points[0];
    const at = await canvasPoint(page, disk);
    await page.mouse.move(at.x, at.y);
    // One wheel event per notch, as a mouse wheel sends them (100 px in Chromium).
    for (let i = 0; i < 4; i++) {
      await page.mouse.wheel(0, -100);
      await expect.poll(scaleOf).toBeCloseTo(fit * 1.25 ** (i + 1), 1);
    }
    expect((await settledScale()) / fit).toBeCloseTo(1.25 ** 4, 2);
    expect(await page.locator('.image-viewport').getAttribute('data-fit-scale')).toBe(String(fit));
    // About the cursor: the disk's centre is still under it.
    const again = await canvasPoint(page, disk);
    expect(Math.hypot(again.x - at.x, again.y - at.y)).toBeLessThan(2);
    // Back out: two notches the other way.
    await page.mouse.wheel(0, 100);
    await page.mouse.wheel(0, 100);
    await expect.poll(async () => (await scaleOf()) / fit).toBeCloseTo(1.25 ** 2, 2);
    // A trackpad's small deltas zoom in proportion, not a whole notch each.
    await page.mouse.wheel(0, -20);
    await expect.poll(async () => (await scaleOf()) / fit).toBeCloseTo(1.25 ** 2.4, 2);
    await page.click('button[name=fit]');
    await expect.poll(scaleOf).toBeCloseTo(fit, 3);
  });

  it('3: landmark labels do not overlap at fit zoom (19 ISBI-like points)', async () => {
    // Half the ISBI radiograph's size: a soft bright head shape under the points.
    const w = 968;
    const h = 1200;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const r = ((x - 520) / 330) ** 2 + ((y - 620) / 440) ** 2;
        data[y * w + x] = Math.round(30 + 150 * Math.exp(-1.5 * r));
      }
    }
    const file = path.join(tmp, 'ceph', 'ceph001.png');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, encode({ width: w, height: h, data, channels: 1, depth: 8 }));
    const preset = (await api.landmarkPresets()).isbi2015;
    const dir = await newProject('labels', preset, [file], 'ceph001');
    const points = ISBI_LIKE.map(([x, y]) => ({ x: x / 2, y: y / 2 }));
    await api.saveAnnotations(dir, {
      landmarkSet: preset,
      images: [{ imageId: 'ceph001', landmarks: points.map((point, i) => ({ id: i + 1, point })) }],
    });
    await openInPage(dir, 'template');
    await page.waitForSelector('.image-viewport[data-image=ceph001]');
    await expect.poll(() => page.locator('g.landmark text.label').count()).toBe(19);
    await page.click('button[name=fit]');
    await settledScale();
    const labels = page.locator('g.landmark text.label');
    await expect.poll(() => labels.nth(10).textContent()).toBe('LIT');
    const boxes: Box[] = [];
    for (let i = 0; i < 19; i++) boxes.push((await labels.nth(i).boundingBox())!);
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        if (intersects(boxes[i], boxes[j])) {
          overlaps.push(`${preset.landmarks[i].abbreviation} × ${preset.landmarks[j].abbreviation}`);
        }
      }
    }
    expect(overlaps).toEqual([]);
    // Every label stays near its own marker, and one moved away from it is tied to it by a line.
    for (let i = 0; i < 19; i++) {
      const m = await canvasPoint(page, points[i]);
      const b = boxes[i];
      const dx = Math.max(b.x - m.x, 0, m.x - (b.x + b.width));
      const dy = Math.max(b.y - m.y, 0, m.y - (b.y + b.height));
      const gap = Math.hypot(dx, dy);
      expect(gap).toBeLessThan(90);
      if (gap > 16)
        expect(await page.locator(`g.landmark[data-landmark="${i + 1}"] line.leader`).count()).toBe(1);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'viewer-labels.png') });
  });

  it('4: DICOM overlay: patient-free tags, spacing and its source, W/L with the presets, scale bar', async () => {
    const rows = 240;
    const columns = 200;
    const samples = new Uint16Array(rows * columns);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const r = ((x - 100) / 70) ** 2 + ((y - 120) / 90) ** 2;
        samples[y * columns + x] = Math.round(200 + 2800 * Math.exp(-1.5 * r) + (x % 16 < 2 ? 300 : 0));
      }
    }
    const patient = [
      { tag: 0x00100010, vr: 'PN', value: 'Doe^Jane' },
      { tag: 0x00100020, vr: 'LO', value: 'PID-7733' },
      { tag: 0x00100030, vr: 'DA', value: '19700101' },
    ];
    const scans = path.join(tmp, 'dicom');
    await mkdir(scans, { recursive: true });
    const withSpacing = path.join(scans, 'ceph16.dcm');
    await writeFile(
      withSpacing,
      writeDicom({
        transferSyntax: TS.explicitLE,
        rows,
        columns,
        bitsAllocated: 16,
        bitsStored: 12,
        pixelSpacing: [0.15, 0.12],
        pixelData: le16(samples),
        extra: [
          ...patient,
          { tag: 0x00281050, vr: 'DS', value: '1500' },
          { tag: 0x00281051, vr: 'DS', value: '3000' },
          { tag: 0x00281055, vr: 'LO', value: 'WIDE' },
        ],
      }),
    );
    const noSpacing = path.join(scans, 'plain16.dcm');
    await writeFile(
      noSpacing,
      writeDicom({
        transferSyntax: TS.explicitLE,
        rows,
        columns,
        bitsAllocated: 16,
        bitsStored: 12,
        pixelData: le16(samples),
        extra: patient,
      }),
    );
    const dir = await newProject('dicom', synthSet, [withSpacing, noSpacing], 'ceph16');
    await openInPage(dir, 'template');
    const vp = page.locator('.image-viewport');
    await page.waitForSelector('.image-viewport[data-image=ceph16]');
    expect(await vp.getAttribute('data-loader')).toBe('dicom');
    const overlay = page.locator('.dicom-overlay');
    await expect.poll(() => overlay.count()).toBe(1);
    const text = async () => (await overlay.textContent())!.replace(/\s+/g, ' ');
    expect(await text()).toContain('DX');
    expect(await text()).toContain('200 × 240');
    expect(await text()).toMatch(/0\.12 × 0\.15 mm\/px \(PixelSpacing\)/);
    expect(await text()).toMatch(/12 bits stored/);
    // W/L: the file's own window first, named as in the preset list, and it follows the list.
    expect(await text()).toMatch(/W 3000 L 1500 \(WIDE\)/);
    await expect
      .poll(async () => (await page.locator('.scale-bar').textContent())?.trim())
      .toMatch(/^\d+(\.\d+)? mm$/);
    await page.mouse.move(10, 10);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'viewer-dicom-overlay.png') });
    await page.selectOption('select[name=window-preset]', { label: 'Full range' });
    const readout = async () => (await page.locator('.wl-readout').textContent())!.replace(/\s+/g, ' ');
    await expect.poll(text).toContain('(Full range)');
    const [, level, width] = /L (-?\d+) · W (\d+)/.exec(await readout())!;
    expect(await text()).toContain(`W ${width} L ${level} (Full range)`);
    await page.locator('input[name=window-width]').fill('1000');
    await expect.poll(text).toMatch(/W 1000 L -?\d+ \(Custom\)/);
    // Nothing about the patient, anywhere in the window.
    for (const secret of ['Doe', 'Jane', 'PID-7733', '19700101', '1970']) {
      expect(await page.locator('body').innerText()).not.toContain(secret);
    }
    // Without spacing in the file: said so, and the scale bar counts pixels.
    await api.setTemplate(dir, 'plain16');
    await openInPage(dir, 'template');
    await page.waitForSelector('.image-viewport[data-image=plain16]');
    await expect.poll(text).toContain('no pixel spacing');
    await expect
      .poll(async () => (await page.locator('.scale-bar').textContent())?.trim())
      .toMatch(/^\d+ px$/);
    expect(await page.locator('body').innerText()).not.toContain('Doe');
    expect(pageLog.errors).toEqual([]);
  });

  it('5: a per-image pixel spacing is kept over a reload and used by the review and the export', async () => {
    const dir = await newProject(
      'per-image-spacing',
      synthSet,
      images.map((im) => im.file),
      images[0].id,
    );
    await api.saveAnnotations(dir, {
      landmarkSet: synthSet,
      images: [
        { imageId: images[0].id, landmarks: images[0].points.map((point, i) => ({ id: i + 1, point })) },
      ],
    });
    // A finished run, as the engine leaves it.
    const run = path.join(dir, 'runs', '20260101-000000-aaaa');
    await mkdir(run, { recursive: true });
    const now = new Date().toISOString();
    await writeFile(
      path.join(run, 'job.json'),
      JSON.stringify({
        format: 'onemark-job',
        version: 1,
        id: '20260101-000000-aaaa',
        kind: 'train',
        request: { method: 'cc2d', preset: 'tiny', device: 'cpu' },
        createdAt: now,
        attempts: 1,
      }),
    );
    await writeFile(
      path.join(run, 'status.json'),
      JSON.stringify({ state: 'done', updatedAt: now, finishedAt: now }),
    );
    const predictions: AnnotationSet = {
      landmarkSet: synthSet,
      images: images.slice(1).map((im) => ({
        imageId: im.id,
        landmarks: im.points.map((point, i) => ({ id: i + 1, point, confidence: 0.8, source: 'prediction' })),
      })),
    };
    await writeFile(path.join(run, 'predictions.json'), JSON.stringify(predictions));

    await openInPage(dir, 'images');
    const row = page.locator(`tr[data-image=${images[1].id}]`);
    await row.locator('input[name=image-spacing]').fill('0.25');
    await row.locator('input[name=image-spacing]').press('Enter');
    await expect.poll(() => row.locator('.spacing').textContent()).toContain('0.25 mm/px');
    const saved = JSON.parse(await readFile(path.join(dir, 'spacing.json'), 'utf8'));
    expect(saved.images[images[1].id]).toEqual({ x: 0.25, y: 0.25 });
    expect(saved.project).toBeNull();
    expect(await page.locator(`tr[data-image=${images[2].id}] .spacing`).textContent()).toContain(
      'no spacing',
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'viewer-per-image-spacing.png') });
    // Kept over a reload.
    await page.reload();
    await page.waitForSelector('button[name=tab-images][aria-selected=true]');
    await expect.poll(() => row.locator('input[name=image-spacing]').inputValue()).toBe('0.25');
    expect(await row.locator('.spacing').textContent()).toContain('0.25 mm/px');
    // The review's figures use it.
    await page.click('button[name=tab-review]');
    await page.click(`button.queue-item[data-image=${images[1].id}]`);
    await page.waitForSelector(`.image-viewport[data-image=${images[1].id}]`);
    await expect.poll(() => page.locator('.bar .spacing').textContent()).toContain('0.25 × 0.25 mm/px');
    // The export's mm columns for that image use it; the others have none.
    await page.click('button[name=tab-export]');
    await page.selectOption('select[name=export-format]', 'csv');
    await page.click('button[name=export]');
    const file = (await page.locator('.export-file').first().textContent({ timeout: 30_000 }))!.trim();
    const lines = (await readFile(file, 'utf8')).split('\n');
    const header = lines.find((l) => l.startsWith('image,'))!.split(',');
    const cell = (l: string, name: string) => l.split(',')[header.indexOf(name)];
    const mine = lines.filter((l) => l.startsWith(`${images[1].id},`));
    expect(mine).toHaveLength(3);
    for (const l of mine) {
      expect(Number(cell(l, 'x_mm'))).toBeCloseTo(Number(cell(l, 'x_px')) * 0.25, 6);
      expect(Number(cell(l, 'y_mm'))).toBeCloseTo(Number(cell(l, 'y_px')) * 0.25, 6);
    }
    for (const l of lines.filter((x) => x.startsWith(`${images[2].id},`))) expect(cell(l, 'x_mm')).toBe('');
    expect(pageLog.errors).toEqual([]);
  });
});
