/** Devices as libtorch names them, and CUDA queries. */
import { native as N } from './native';

import type { Device } from './deviceType';

export type { Device } from './deviceType';

const DEVICE_RE = /^(cpu|cuda(:\d+)?)$/;

export function isDevice(v: unknown): v is Device {
  return typeof v === 'string' && DEVICE_RE.test(v);
}

/** Validates a device name early, with a clearer message than libtorch's. */
export function checkDevice(d: string): Device {
  if (!isDevice(d)) throw new TypeError(`unknown device '${d}' (expected 'cpu', 'cuda' or 'cuda:N')`);
  return d;
}

/** Whether libtorch was built with CUDA and a GPU is usable. */
export function cudaAvailable(): boolean {
  return N.cudaIsAvailable() as boolean;
}

export function cudaDeviceCount(): number {
  return N.cudaDeviceCount() as number;
}

/** Waits for queued CUDA work (timing, before reading clocks); a no-op without CUDA. */
export function cudaSynchronize(device?: number): void {
  N.cudaSynchronize(device ?? -1);
}
