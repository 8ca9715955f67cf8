import type { Command } from 'commander';

export interface StoreOptions {
  store: string;
}

/** Default store: the embedded SQLite file in the working directory. */
export const DEFAULT_STORE_URL = 'sqlite:.revsync/revsync.db';

/** Adds `--store <url>` (env REVSYNC_STORE_URL) to a command. */
export function storeOption(command: Command): Command {
  return command.option(
    '--store <url>',
    'sqlite:PATH or postgres://… (env REVSYNC_STORE_URL)',
    process.env.REVSYNC_STORE_URL ?? DEFAULT_STORE_URL,
  );
}
