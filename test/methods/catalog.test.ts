/**
 * The method catalog (names, settings) and the registry's settings → config hook: what the CLI
 * flags and the app's request fields change in each method's config, and what they refuse.
 */
import { describe, expect, it } from 'vitest';
import type { Cc2dConfig } from '../../src/methods/cc2d/config';
import { METHOD_INFO, METHOD_NAMES, methodInfo, settingProblems } from '../../src/methods/catalog';
import type { DenseConfig } from '../../src/methods/dense/config';
import { fineSteps, type F2Config } from '../../src/methods/f2/config';
import { configureFor, getMethod, methodNames, trainingStages } from '../../src/methods/registry';

describe('method catalog', () => {
  it("is the registry's list: same names, titles and descriptions", () => {
    expect(methodNames()).toEqual(METHOD_NAMES);
    for (const n of METHOD_NAMES) {
      expect(getMethod(n).describe).toBe(METHOD_INFO[n].describe);
      expect(getMethod(n).title).toBe(METHOD_INFO[n].title);
      expect(METHOD_INFO[n].describe).not.toContain('\n');
    }
    expect(() => methodInfo('cc3d')).toThrow(
      /unknown method 'cc3d' \(available: cc2d, sla, atd, adapter, f2\)/,
    );
  });

  it('names the settings a method cannot use', () => {
    expect(settingProblems('cc2d', { stage1Iterations: 1, stage2Iterations: 2, stage2: false })).toEqual([]);
    expect(settingProblems('sla', { stage2: true, fineIterations: undefined })).toEqual([]);
    expect(settingProblems('sla', { fineIterations: 3 }).map((p) => p.setting)).toEqual(['fineIterations']);
    expect(
      settingProblems('f2', { fineIterations: 3, stage1Run: '/r', part: { index: 0, count: 2 } }),
    ).toEqual([
      { setting: 'part', reason: expect.stringMatching(/^does not apply to method f2: only sla and atd/) },
    ]);
    expect(settingProblems('adapter', { stage1Run: '/r', stage1Iterations: 5, backbone: 'w' })).toHaveLength(
      2,
    );
    expect(settingProblems('cc2d', { stage1Run: '/r' })[0].reason).toMatch(
      /method cc2d: it trains its own stage 1/,
    );
  });
});

describe('configureFor', () => {
  it("maps the settings onto each method's config", () => {
    const cc2d = getMethod('cc2d').config('tiny', {}) as Cc2dConfig;
    configureFor('cc2d', { stage1Iterations: 11, stage2Iterations: 22, stage2: false, backbone: '/w' })(cc2d);
    expect(cc2d.stage1.iterations).toBe(11);
    expect(cc2d.stage2).toMatchObject({ iterations: 22, enabled: false });
    expect(cc2d.backboneWeights).toBe('/w');

    const sla = getMethod('sla').config('tiny', {}) as DenseConfig;
    configureFor('sla', { stage1Iterations: 11, stage2Iterations: 22 })(sla);
    expect(sla.cc2d.stage1.iterations).toBe(11);
    expect(sla.dense.iterations).toBe(22);
    expect(sla.cc2d.stage2.enabled).toBe(false);

    const f2 = getMethod('f2').config('tiny', { seed: 9 }) as F2Config;
    configureFor('f2', { stage2Iterations: 22, fineIterations: 33 })(f2);
    expect(f2.dense.iterations).toBe(22);
    expect(fineSteps(f2.fine)).toBe(33);
    expect(f2.seed).toBe(9);
    // A cascade-form fine stage: the setting is its level's steps.
    const f2c = getMethod('f2').config('tiny', {}) as F2Config;
    f2c.fine = { kind: 'cascade', dense: { ...f2c.dense }, blend: 1 };
    configureFor('f2', { fineIterations: 44 })(f2c);
    expect(fineSteps(f2c.fine)).toBe(44);
    expect(f2c.dense.iterations).not.toBe(44);

    expect(() => configureFor('atd', { fineIterations: 1 })).toThrow(
      /fineIterations does not apply to method atd/,
    );
  });

  it('lists the stages a run trains, with their steps, as progress events name them', () => {
    const f2 = getMethod('f2').config('tiny', {}) as F2Config;
    expect(trainingStages('f2', f2).map((s) => s.stage)).toEqual(['stage1', 'adapter', 'fine']);
    expect(trainingStages('f2', f2, { stage1Run: '/r' })[0].steps).toBe(0);
    const sla = getMethod('sla').config('tiny', {}) as DenseConfig;
    expect(trainingStages('sla', sla, { part: { index: 1, count: 3 } })[1]).toEqual({
      stage: 'sla-part-2-of-3',
      steps: sla.dense.iterations,
    });
    const cc2d = getMethod('cc2d').config('tiny', {}) as Cc2dConfig;
    cc2d.stage2.enabled = false;
    expect(trainingStages('cc2d', cc2d)).toEqual([
      { stage: 'stage1', steps: cc2d.stage1.iterations },
      { stage: 'stage2', steps: 0 },
    ]);
  });
});
