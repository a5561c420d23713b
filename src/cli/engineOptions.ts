/**
 * The engine flags every compute command shares: `--device` (checked against the engine's names)
 * and `--threads` (libtorch's intra-op threads).
 */
import * as os from 'node:os';
import { cudaAvailable, isDevice, setNumThreads, type Device } from '../engine';
import { CliError } from './errors';

export function defaultDevice(): Device {
  return cudaAvailable() ? 'cuda' : 'cpu';
}

/** Threads for libtorch: all cores unless told (1 is faster when other jobs share the cores). */
export function applyThreads(text: string | undefined): number {
  const n = text === undefined ? os.availableParallelism() : Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`--threads: expected a positive integer, got '${text}'`);
  setNumThreads(n);
  return n;
}

export function parseDevice(text: string, flag = '--device'): Device {
  if (!isDevice(text)) throw new CliError(`${flag}: unknown device '${text}' (expected cpu, cuda or cuda:N)`);
  return text;
}
