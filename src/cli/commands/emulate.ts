import { Option, type Command } from 'commander';
import type { EmulatorEntry, StartedEmulator } from '@revsync/emulators';
import { EXIT, fail } from '../output.ts';
import { untilSignal } from '../signals.ts';

const SHARED = new Set(['--seed', '--faults', '--host']);

/**
 * `revsync emulate [system…]`: starts vendor emulators until interrupted. Shared flags (`--seed`,
 * `--faults`, `--host`) apply to all; every emulator-specific flag is offered as
 * `--<system>-<flag>` (e.g. `--netsuite-concurrency-limit 5`).
 */
export function registerEmulateCommand(
  program: Command,
  /** The emulators with their flags; loaded only when the command line is about `emulate`. */
  EMULATORS: Record<string, EmulatorEntry> | undefined,
): void {
  const names = Object.keys(EMULATORS ?? {});
  const command = program
    .command('emulate')
    .argument('[systems...]', `which emulators to start: ${names.join(', ')} (default: all)`)
    .description(
      'run local stand-ins for the vendor APIs (same paths, auth, errors and limits as the real ones)',
    )
    .option('--seed <n>', 'seed for ids and injected faults', '1')
    .option('--faults <preset>', 'fault injection: none | light | heavy', 'none')
    .option('--host <host>', 'interface to listen on', '127.0.0.1');
  for (const entry of Object.values(EMULATORS ?? {})) {
    for (const flag of entry.flags) {
      if (SHARED.has(flag.flag)) continue;
      const name = `--${entry.name}-${flag.flag.replace(/^--/, '')}`;
      const parts = [`[${entry.name}] ${flag.description}`];
      if (flag.env) parts.push(`env ${flag.env}`);
      if (flag.default !== undefined && flag.default !== null)
        parts.push(`default ${flag.default}`);
      command.addOption(new Option(`${name} <value>`, parts.join('; ')));
    }
  }
  command.action(async (systems: string[], options: Record<string, string | undefined>) => {
    EMULATORS ??= (await import('@revsync/emulators')).EMULATORS;
    const all = Object.keys(EMULATORS);
    const chosen = systems.length > 0 ? systems : all;
    const unknown = chosen.filter((s) => !EMULATORS![s]);
    if (unknown.length > 0) {
      fail(
        new Error(`unknown emulator ${unknown.join(', ')}; choose from ${all.join(', ')}`),
        {},
        EXIT.usage,
      );
      return;
    }
    const started: StartedEmulator[] = [];
    try {
      for (const system of chosen) {
        const entry = EMULATORS![system]!;
        const emulatorOptions: Record<string, unknown> = {
          seed: Number(options.seed),
          faults: options.faults,
          host: options.host,
        };
        for (const flag of entry.flags) {
          if (SHARED.has(flag.flag)) continue;
          const key = `${entry.name}${flag.flag.replace(/^--/, '-')}`.replace(
            /-([a-z0-9])/g,
            (_, c: string) => c.toUpperCase(),
          );
          // A flag given on the command line wins over its environment variable.
          const value = options[key] ?? (flag.env ? process.env[flag.env] : undefined);
          if (value !== undefined)
            emulatorOptions[flag.option] = flag.numeric ? Number(value) : value;
        }
        const emulator = await entry.start(emulatorOptions);
        started.push(emulator);
        process.stdout.write(`${entry.name.padEnd(11)} ${emulator.url}  (${entry.title})\n`);
      }
      process.stdout.write(
        'emulators running; admin routes under /_emulator/ — press Ctrl-C to stop\n',
      );
      await untilSignal();
    } catch (caught) {
      fail(caught);
    } finally {
      await Promise.all(started.map((e) => e.close()));
    }
  });
}
