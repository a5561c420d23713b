/** What the engine was built against, for logs, run records and `onemark --version`. */
import { native as N } from './native';

export interface EngineInfo {
  libtorch: string;
  libtorchMajor: number;
  libtorchSource?: string;
  cudaBuilt: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudnnAvailable: boolean;
  compiler: string;
  cxx11Abi?: number;
  napiVersion: number;
  /** libtorch's parallel backend report (threads, OpenMP, oneDNN). */
  parallel: string;
  /** Number of native entry points. */
  ops: number;
}

export function engineInfo(): EngineInfo {
  return N.buildInfo() as EngineInfo;
}
