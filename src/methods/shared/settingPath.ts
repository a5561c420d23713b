/**
 * `path=value` settings on a config object (`--set stage1.iterations=800`): the value parsing and
 * the walk to the setting, shared by the CLI's overrides and the benchmarks' ablations.
 */

/** JSON where the text parses (numbers, booleans, arrays), else the string itself. */
export function settingValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/** The object and key a dotted path names inside `root`, or null when the config has no such setting. */
export function settingSlot(
  root: unknown,
  keys: readonly string[],
): { obj: Record<string, unknown>; key: string } | null {
  let node: unknown = root;
  for (const k of keys.slice(0, -1)) {
    if (!isRecord(node) || !(k in node)) return null;
    node = node[k];
  }
  const key = keys[keys.length - 1];
  return isRecord(node) && key in node ? { obj: node, key } : null;
}
