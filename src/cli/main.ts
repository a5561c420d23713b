/**
 * `onemark`: the command-line face of OneMark. Each subcommand lives in commands/<name>.ts and
 * exports a register function; this file only assembles them and turns errors into one line.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerBaseline } from './commands/baseline';
import { registerConvert } from './commands/convert';
import { registerDataset } from './commands/dataset';
import { registerEvaluate } from './commands/evaluate';
import { setCommandLine } from './context';
import { CliError, exitCodeOf, formatCliError } from './errors';

export const VERSION = '0.1.0';

/**
 * The demo command belongs to the engine-nn work and loads the native engine. Until its module
 * exists it is skipped; if it exists but cannot load (engine not built), the other commands must
 * still work, so `demo` then only reports why it is unavailable.
 */
async function registerOptional(program: Command): Promise<void> {
  const spec = './commands/demo';
  try {
    const mod = (await import(spec)) as { registerDemo?: (p: Command) => void };
    mod.registerDemo?.(program);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const self = fileURLToPath(import.meta.url);
    const missingItself =
      (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') &&
      /commands[\\/]demo['"]/.test(e.message) &&
      e.message.includes(self);
    if (missingItself) return;
    program
      .command('demo')
      .description('(unavailable: see `onemark demo`)')
      .allowUnknownOption()
      .action(() => {
        throw new CliError(`demo is unavailable: ${e.message.split('\n')[0]}`);
      });
  }
}

export async function buildProgram(): Promise<Command> {
  const program = new Command('onemark')
    .description('One-shot anatomical landmark detection: datasets, evaluation, conversion')
    .version(VERSION)
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerDataset(program);
  registerEvaluate(program);
  registerConvert(program);
  registerBaseline(program);
  await registerOptional(program);
  // Subcommands inherit exitOverride so a usage error returns here instead of exiting.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests and wrappers can call it. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const verbose = argv.includes('--verbose');
  setCommandLine(argv.slice(2));
  try {
    const program = await buildProgram();
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed help, the version or its usage message.
      return err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
        ? 0
        : err.exitCode || 2;
    }
    process.stderr.write(`${formatCliError(err, verbose)}\n`);
    return exitCodeOf(err);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv);
}
