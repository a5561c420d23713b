/** Devices as libtorch names them. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

const DEVICE_RE = /^(cpu|cuda(:\d+)?)$/;

export function isDevice(v: unknown): v is Device {
  return typeof v === 'string' && DEVICE_RE.test(v);
}

/** Validates a device name early, with a clearer message than libtorch's. */
export function checkDevice(d: string): Device {
  if (!isDevice(d)) throw new TypeError(`unknown device '${d}' (expected 'cpu', 'cuda' or 'cuda:N')`);
  return d;
}
