import type { Command } from 'commander';
import { fail, print } from '../output.ts';
import { storeOption, type StoreOptions } from '../store-option.ts';

/** `revsync status`: what the store holds — inbox, runs by status, open exceptions. */
export function registerStatusCommand(program: Command): void {
  storeOption(program.command('status'))
    .description('show inbox, run and exception-queue counts from the store')
    .option('--json', 'print as JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      try {
        const { openStore } = await import('../../store/open-store.ts');
        const store = await openStore({ url: options.store });
        try {
          const status = {
            store: options.store,
            inbox: await store.inbox.countByStatus(store.db),
            runs: await store.runs.countByStatus(store.db),
            openExceptions: await store.exceptions.countOpen(store.db),
          };
          print(status, options, (s) =>
            [
              `store       ${s.store}`,
              `inbox       ${formatCounts(s.inbox)}`,
              `runs        ${formatCounts(s.runs)}`,
              `exceptions  ${s.openExceptions} open`,
            ].join('\n'),
          );
        } finally {
          await store.close();
        }
      } catch (caught) {
        fail(caught, options);
      }
    });
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? '(empty)' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}
