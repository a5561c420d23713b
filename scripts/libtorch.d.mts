// Types for scripts/libtorch.mjs (used from TypeScript by the benchmark's C++ twin and tests).
export interface LibtorchInfo {
  includeDirs: string[];
  libDir: string;
  libs: string[];
  defines: string[];
  /** -std=..., -I..., -D... for g++. */
  cxxflags: string[];
  /** -L, the libs inside --no-as-needed, and an rpath to libDir. */
  ldflags: string[];
  version: string;
  cxxStd: 'c++17' | 'c++20' | string;
  cuda: boolean;
  source: 'LIBTORCH' | 'system';
  root: string;
  cxx11Abi: number | undefined;
}
export const HOW_TO_GET_LIBTORCH: string;
export class LibtorchNotFoundError extends Error {}
export function findLibtorch(opts?: { env?: NodeJS.ProcessEnv }): LibtorchInfo;
export function cxxStandardFor(version: string | undefined): string;
