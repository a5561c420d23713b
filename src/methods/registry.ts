/**
 * The detection methods by name, for the CLI, the app and the benchmark:
 *   cc2d     CC2D (stage 1 cascade + stage 2 heatmap/offset network), src/methods/cc2d
 *   sla      CC2D-SLA: one model per landmark, trained together as one grouped network
 *   atd      C-ATD: SLA + template augmentation on the device
 *   adapter  C-Adapter: one network, shared backbone + landmark-specific adapters
 *   f2       C-F2: C-Adapter's coarse point + a fine stage at original resolution
 * Each method's folder holds its entry (shared/entry.ts's MethodEntry: config, settings, stages,
 * trainer, predictor); this list is the one line a new method adds. `methodOfRun` picks the entry
 * from a run's config.json, so `predict` needs only the run. Names, descriptions and the settings
 * each method takes live in catalog.ts (engine-free, for the API service).
 */
import { readRunConfig } from '../runs/config';
import { RunLayout } from '../runs/layout';
import { settingProblemsOf, type TrainSettings } from './catalog';
import { cc2dEntry } from './cc2d/entry';
import { adapterEntry, atdEntry, slaEntry } from './dense/entry';
import { f2Entry } from './f2/entry';
import type { MethodEntry, Part, PlannedStage } from './shared/entry';

export {
  METHOD_INFO,
  METHOD_NAMES,
  settingProblems,
  settingProblemsOf,
  type MethodInfo,
  type MethodName,
  type TrainSetting,
  type TrainSettings,
} from './catalog';
export type { MethodEntry, PredictRequest, TrainOutcome, TrainRequest } from './shared/entry';

/**
 * Every method, in the order the CLI and the app list them. An entry's config type is its own;
 * here entries are held by what they share (their methods take back the configs they made).
 */
const ENTRIES: MethodEntry[] = [
  erase(cc2dEntry),
  erase(slaEntry),
  erase(atdEntry),
  erase(adapterEntry),
  erase(f2Entry),
];

function erase<C>(entry: MethodEntry<C>): MethodEntry {
  return entry as unknown as MethodEntry;
}

/** Adds a method (a plug-in, or a test's toy method); its name must be new. */
export function registerMethod<C>(entry: MethodEntry<C>): void {
  if (findMethod(entry.name)) throw new Error(`method '${entry.name}' is already registered`);
  ENTRIES.push(erase(entry));
}

/** The registered methods' names, built-in ones first. */
export function methodNames(): string[] {
  return ENTRIES.map((e) => e.name);
}

export function findMethod(name: string): MethodEntry | undefined {
  return ENTRIES.find((e) => e.name === name);
}

export function getMethod(name: string): MethodEntry {
  const m = findMethod(name);
  if (!m) throw new Error(`unknown method '${name}' (available: ${methodNames().join(', ')})`);
  return m;
}

/** The entry that trained a run (from RUN/config.json). */
export function methodOfRun(runDir: string): MethodEntry {
  return getMethod(readRunConfig(new RunLayout(runDir)).method);
}

/**
 * The `configure` hook (TrainRequest.configure) that applies settings to a method's preset config.
 * Throws on a setting the method does not take (see settingProblems, which callers check first to
 * name their own flag or field). `stage1Run` and `part` are not config: pass them in the request.
 */
export function configureFor(method: string, s: TrainSettings): (config: unknown) => void {
  const entry = getMethod(method);
  const problems = settingProblemsOf(entry, s);
  if (problems.length) throw new Error(problems.map((p) => `${p.setting} ${p.reason}`).join('\n'));
  return (config) => entry.configure(config, s);
}

/**
 * The stages a run trains, in order, with their step counts (0 for a stage it reuses), as its
 * progress events name them: e.g. stage1, sla (or sla-part-2-of-3), fine.
 */
export function trainingStages(
  method: string,
  config: unknown,
  o: { stage1Run?: string; part?: Part } = {},
): PlannedStage[] {
  return getMethod(method).stages(config, o);
}
