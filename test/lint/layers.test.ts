/**
 * The layer rules of eslint.config.js fail on a deliberate cross-layer import and let the
 * allowed direction through: the lint is what keeps docs/architecture.md true.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from '../cli/helpers';

const eslint = new ESLint({ cwd: REPO });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const probe = x;\n`, {
    filePath: `${REPO}/${file}`,
  });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['src/methods/cc2d/probe.ts', "import { x } from '../../cli/errors';", 'src/methods'],
    ['src/engine/nn/probe.ts', "import { x } from '../../data/types';", 'src/engine'],
    ['src/data/probe.ts', "import { x } from '../runs/layout';", 'src/data'],
    ['src/runs/probe.ts', "import { x } from '../methods/registry';", 'src/runs'],
    ['src/main/probe.ts', "import { x } from '../engine';", 'src/main'],
    ['src/renderer/src/stores/probe.ts', "import { x } from '../../../data/types';", 'src/renderer'],
    ['src/api/probe.ts', "import { x } from '../cli/inputs';", 'src/api'],
  ])('%s: a downward-breaking import fails', async (file, source, layer) => {
    const errors = await importErrors(file, source);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${layer} sits below these layers`);
  });

  it('the engine is reached through its public face only', async () => {
    const errors = await importErrors('src/methods/probe.ts', "import { x } from '../engine/random';");
    expect(errors[0]).toMatch(/public face/);
    for (const ok of ["'../engine'", "'../engine/nn'", "'../engine/optim'", "'../engine/io/safetensors'"])
      expect(await importErrors('src/methods/probe.ts', `import { x } from ${ok};`), ok).toEqual([]);
  });

  it('imports in the allowed direction pass', async () => {
    expect(await importErrors('src/methods/cc2d/probe.ts', "import { x } from '../../runs/layout';")).toEqual(
      [],
    );
    expect(await importErrors('src/cli/probe.ts', "import { x } from '../api/service/service';")).toEqual([]);
    expect(
      await importErrors('src/renderer/src/probe.ts', "import { x } from '../../api/contract/types';"),
    ).toEqual([]);
  });
});

describe('src/api by process', () => {
  it.each([
    ['src/api/contract/probe.ts', "import { x } from '../service/service';", 'src/api/contract'],
    ['src/api/contract/probe.ts', "import { x } from 'node:path';", 'src/api/contract'],
    ['src/api/contract/probe.ts', "import { x } from '../../data/safeName';", 'src/api/contract'],
    ['src/api/contract/probe.ts', "import { x } from '../../methods/registry';", 'src/api/contract'],
    ['src/api/contract/probe.ts', "import { x } from '../../runs/config';", 'src/api/contract'],
    ['src/api/http/probe.ts', "import { x } from '../worker/engine-job';", 'src/api/http'],
    ['src/api/http/client.ts', "import { x } from 'node:fs';", 'the renderer bundles this file'],
    ['src/api/worker/probe.ts', "import { x } from '../http/server';", 'src/api/worker'],
    ['src/api/worker/probe.ts', "import { x } from '../service/project-lock';", 'src/api/worker'],
    ['src/api/service/probe.ts', "import { x } from '../worker/engine-job';", 'src/api/service'],
    ['src/api/service/probe.ts', "import { x } from '../../engine';", 'never loads the engine'],
    ['src/api/disk/probe.ts', "import { x } from '../service/service';", 'src/api/disk'],
    ['src/renderer/src/probe.ts', "import { x } from '../../api/service/service';", 'src/renderer'],
    ['src/renderer/src/probe.ts', "import { x } from '../../api/http/server';", 'src/renderer'],
    ['src/preload/probe.ts', "import { x } from '../api/http/client';", 'src/preload'],
    ['src/main/probe.ts', "import { x } from '../api/worker/engine-job';", 'src/main'],
  ])('%s: %s fails', async (file, source, message) => {
    const errors = await importErrors(file, source);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ['src/api/contract/probe.ts', "import type { x } from '../../data/types';"],
    ['src/api/contract/probe.ts', "import type { x } from '../../methods/catalog';"],
    ['src/api/contract/probe.ts', "import type { x } from '../../engine/deviceType';"],
    ['src/api/worker/probe.ts', "import { x } from '../disk/project-file';"],
    ['src/api/service/probe.ts', "import { x } from '../../methods/catalog';"],
    ['src/api/http/server.ts', "import { x } from 'node:http';"],
    ['src/api/http/probe.ts', "import { x } from '../contract/channels';"],
    ['src/renderer/src/probe.ts', "import { x } from '../../api/http/client';"],
    ['src/preload/probe.ts', "import { x } from '../api/contract/channels';"],
    ['src/main/probe.ts', "import { x } from '../api/service/service';"],
  ])('%s: %s passes', async (file, source) => {
    expect(await importErrors(file, source)).toEqual([]);
  });
});
