/**
 * The Precision type alone, with no import (as deviceType.ts): method configs record it, and the
 * renderer type-checks those configs without pulling in the addon.
 */
export type Precision = 'fp32' | 'bf16' | 'fp16';
