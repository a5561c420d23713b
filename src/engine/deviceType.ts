/**
 * The Device type alone, with no import: method configs name their device with it, and the
 * renderer type-checks those configs (through the method catalog) without pulling in the addon.
 */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
