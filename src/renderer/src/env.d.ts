/// <reference types="vite/client" />

// Ambient (no imports) so the wildcard applies project-wide; window.d.ts holds the typed globals.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
