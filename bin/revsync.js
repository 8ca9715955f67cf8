#!/usr/bin/env node
// The `revsync` command. In a source checkout it runs the TypeScript sources through tsx, so
// `npm start` never runs stale code; an installed package runs the compiled `dist/`.
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';

const src = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);

if (existsSync(src)) {
  // Workspace packages (`@revsync/emulators`) resolve to their sources under the
  // `revsync-source` export condition, as they do for tsc and vitest.
  registerHooks(
    'data:text/javascript,' +
      encodeURIComponent(
        'export function resolve(specifier, context, next) {' +
          ' return next(specifier, { ...context, conditions: [...context.conditions, "revsync-source"] }); }',
      ),
  );
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import(dist.href);
}
