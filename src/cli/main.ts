/**
 * `onemark`: the command-line face of OneMark. Each subcommand lives in commands/<name>.ts and
 * exports a register function; this file only assembles them and turns errors into one line.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerBaseline } from './commands/baseline';
import { registerCancel } from './commands/cancel';
import { registerConvert } from './commands/convert';
import { registerDataset } from './commands/dataset';
import { registerEvaluate } from './commands/evaluate';
import { registerServe } from './commands/serve';
import { registerStatus } from './commands/status';
import { setCommandLine } from './context';
import { CliError, exitCodeOf, formatCliError } from './errors';

export const VERSION = '0.1.0';

/**
 * Commands that load the native engine (libtorch). They are imported only when invoked, or for
 * the top-level help, so that evaluate/convert/dataset start in a second and keep working on a
 * machine where the engine is not built. A module that is absent is skipped; one that exists but
 * fails to load still gets a command, which reports why it is unavailable.
 */
const ENGINE_COMMANDS = [
  { name: 'demo', module: './commands/demo', register: 'registerDemo' },
  { name: 'train', module: './commands/train', register: 'registerTrain' },
  { name: 'predict', module: './commands/predict', register: 'registerPredict' },
  { name: 'quickstart', module: './commands/quickstart', register: 'registerQuickstart' },
] as const;

/** The subcommand named on the command line (first word that is not an option), if any. */
function invokedCommand(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

async function registerEngineCommands(program: Command, args: readonly string[]): Promise<void> {
  const invoked = invokedCommand(args);
  const wanted = ENGINE_COMMANDS.filter(
    (c) => invoked === undefined || invoked === 'help' || invoked === c.name,
  );
  for (const c of wanted) {
    try {
      const mod = (await import(c.module)) as Record<string, unknown>;
      const register = mod[c.register];
      if (typeof register !== 'function') throw new Error(`${c.module} does not export ${c.register}()`);
      (register as (p: Command) => void)(program);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const self = fileURLToPath(import.meta.url);
      const missingItself =
        (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') &&
        e.message.includes(c.module.slice(2)) &&
        e.message.includes(self);
      if (missingItself) continue;
      program
        .command(c.name)
        .description('(unavailable: run it to see why)')
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw new CliError(`${c.name} is unavailable: ${e.message.split('\n')[0]}`);
        });
    }
  }
}

export async function buildProgram(args: readonly string[] = []): Promise<Command> {
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
  registerServe(program);
  registerStatus(program);
  registerCancel(program);
  await registerEngineCommands(program, args);
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
    const program = await buildProgram(argv.slice(2));
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
