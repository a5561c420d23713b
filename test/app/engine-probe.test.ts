import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonFileProbe, engineProcessProbe } from '../../src/api/service/engine-probe';
import { repoRoot } from './build-app';

const addon = path.join(repoRoot, 'native', 'build', 'onemark.node');
const reason = existsSync(addon) ? null : `engine addon not built (${addon})`;

describe('engine probe in a separate process', () => {
  it.skipIf(!!reason)(
    `reports libtorch and CUDA without loading them here${reason ? ` (skipped: ${reason})` : ''}`,
    async () => {
      const probe = engineProcessProbe({ fallback: addonFileProbe([addon]), repoRoot });
      const s = await probe();
      expect(s.state, s.message).toBe('loaded');
      expect(s.libtorchVersion).toMatch(/^\d+\.\d+/);
      expect(typeof s.cuda).toBe('boolean');
      expect(s.addonPath).toBe(addon);
      expect(await probe()).toBe(s); // cached
    },
  );

  it('keeps the file probe answer when there is no addon', async () => {
    const probe = engineProcessProbe({ fallback: addonFileProbe(['/nonexistent/onemark.node']), repoRoot });
    const s = await probe();
    expect(s.state).toBe('missing');
    expect(s.searched).toEqual(['/nonexistent/onemark.node']);
  });
});
