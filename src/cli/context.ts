/** The command line being run, for provenance lines in outputs ("how was this made?"). */
let args: readonly string[] = [];

export function setCommandLine(argv: readonly string[]): void {
  args = [...argv];
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** `onemark evaluate --pred 'my file.csv' ...` */
export function commandLine(): string {
  return formatCommandLine(args);
}

/** The command line of `args` (after `onemark`), as commandLine() writes it. */
export function formatCommandLine(argv: readonly string[]): string {
  return ['onemark', ...argv.map(quote)].join(' ');
}
