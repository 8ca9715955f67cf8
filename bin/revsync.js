#!/usr/bin/env node
// The `revsync` command. In a source checkout it runs the TypeScript sources through tsx, so
// `npm start` never runs stale code; an installed package runs the compiled `dist/`.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);

if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import(dist.href);
}
