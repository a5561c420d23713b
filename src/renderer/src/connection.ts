/**
 * Whether `onemark serve` answers. A request that fails at the network level (server stopped or
 * restarted) turns the state to 'down' and the page shows a banner instead of freezing on the
 * last progress it heard; a ping every couple of seconds brings it back, and the views that hold
 * server state refresh then (events sent while the socket was closed are lost).
 */
import { ref } from 'vue';

export const connection = ref<'up' | 'down'>('up');
const reconnectListeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | null = null;

export function onReconnect(f: () => void): () => void {
  reconnectListeners.add(f);
  return () => reconnectListeners.delete(f);
}

export function reportUp(): void {
  if (connection.value === 'up') return;
  connection.value = 'up';
  if (timer) clearTimeout(timer);
  timer = null;
  for (const f of reconnectListeners) f();
}

export function reportDown(ping: () => Promise<unknown>, everyMs = 2000): void {
  if (connection.value === 'down') return;
  connection.value = 'down';
  const tryAgain = () => {
    timer = setTimeout(() => {
      ping().then(reportUp, () => {
        if (connection.value === 'down') tryAgain();
      });
    }, everyMs);
  };
  tryAgain();
}
