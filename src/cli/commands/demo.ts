import { InvalidArgumentError, type Command } from 'commander';
import { EXIT, fail } from '../output.ts';
import { untilSignal } from '../signals.ts';
import { addStackOptions, stackChoice } from '../stack-options.ts';

/** `revsync demo`: emulators + engine + steady simulated traffic + API and dashboard. */
export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description(
      "run the whole reference scenario locally: an emulator for each role's system, revsync on SQLite (.revsync/demo.db, emptied at start), steady simulated business traffic, the API and the dashboard",
    )
    .option('--port <n>', 'port of the API and dashboard', port, 4000)
    .option('--seed <n>', 'seed of the traffic and the emulators', port, 1)
    .option('--faults <preset>', 'fault injection in the emulators: none | light | heavy', 'light')
    .option('--no-traffic', 'start without simulated traffic');
  addStackOptions(command, { urls: false }).action(
    async (options: {
      port: number;
      seed: number;
      faults: string;
      traffic: boolean;
      [role: string]: unknown;
    }) => {
      if (!['none', 'light', 'heavy'].includes(options.faults)) {
        fail(
          new Error(`--faults must be none, light or heavy, not ${options.faults}`),
          {},
          EXIT.usage,
        );
        return;
      }
      // The terminal shows the banner; the engine's structured log goes to a file.
      const logFile = '.revsync/demo.log';
      const { DEMO_KEYS, DEMO_STORE_URL, startDemo } = await import('../../sim/demo.ts');
      const { createLogger } = await import('../../engine/logger.ts');
      const logger = createLogger({
        level: process.env.REVSYNC_LOG_LEVEL ?? 'info',
        file: logFile,
      });
      try {
        const demo = await startDemo({
          stack: stackChoice(options).stack,
          port: options.port,
          seed: options.seed,
          faults: options.faults as 'none' | 'light' | 'heavy',
          traffic: options.traffic,
          logger,
        });
        const lines = [
          '',
          `revsync demo is running — dashboard and API at ${demo.url}/`,
          '',
          'sign in with one of these API keys:',
          ...DEMO_KEYS.map((k) => `  ${k.role.padEnd(9)} ${k.key}`),
          '',
          'emulators:',
          ...Object.entries(demo.systems).map(
            ([role, s]) => `  ${role.padEnd(9)} ${s.system.padEnd(18)} ${s.url}`,
          ),
          `store: ${DEMO_STORE_URL} (emptied at every start)`,
          options.traffic
            ? 'simulated traffic: a new deal, upgrade, renewal, payment or refund every ~1.5 s'
            : 'no simulated traffic (--no-traffic)',
          `faults in the emulators: ${options.faults}`,
          `structured log (pino JSON): ${logFile}`,
          '',
          'press Ctrl-C to stop',
          '',
        ];
        process.stdout.write(lines.join('\n'));
        await untilSignal();
        process.stdout.write('stopping…\n');
        await demo.stop();
      } catch (caught) {
        fail(caught);
      }
    },
  );
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number');
  return n;
}
