/**
 * Import first, before anything loads the engine: libgomp reads OMP_WAIT_POLICY when the native
 * addon is loaded. With the default (spinning) policy, two libtorch threads on a 2-core machine
 * that other jobs share spend their time spinning: a stage-1 step measured 12.8 s with 2 threads
 * against 1.5 s with PASSIVE (and 2.9 s with 1 thread) under a load average of 7.7.
 * A user's own setting wins.
 */
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
export {};
