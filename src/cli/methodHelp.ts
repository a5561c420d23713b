/** The methods as `--help` lists them, from the method catalog (one line each). */
import { METHOD_INFO, METHOD_NAMES } from '../methods/registry';

/** The methods, one line each: "  sla      CC2D-SLA: One model per landmark ...". */
export function methodLines(): string[] {
  const w = Math.max(...METHOD_NAMES.map((n) => n.length)) + 2;
  return METHOD_NAMES.map((n) => `  ${n.padEnd(w)}${METHOD_INFO[n].title}: ${METHOD_INFO[n].describe}`);
}

/** The methods, one line each, and how their flags apply, for train --help. */
export function methodsHelp(): string {
  return [
    'Methods (--method):',
    ...methodLines(),
    '',
    "sla, atd, adapter and f2 build on a CC2D stage 1: --stage1-run RUN reuses a CC2D run's (trained",
    'on the same images and template); without it they train one inside --out (RUN/cc2d).',
    "--stage2-iterations sets the stage trained on the pseudo-labels: CC2D's stage 2, the",
    "sla/atd/adapter network, f2's coarse adapter. A flag a method cannot use is refused.",
  ].join('\n');
}
