import { InvalidArgumentError, type Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { EXIT, fail } from '../output.ts';
import { untilSignal } from '../signals.ts';

const DEMO_CONFIG = fileURLToPath(new URL('../../../examples/demo.config.ts', import.meta.url));

/** `revsync demo`: emulators + engine + steady simulated traffic + API and dashboard. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole reference scenario locally: Salesforce, Stripe and NetSuite emulators, revsync on SQLite, steady simulated business traffic, the API and the dashboard',
    )
    .option('--port <n>', 'port of the API and dashboard', port, 4000)
    .option('--config <file>', 'configuration file', DEMO_CONFIG)
    .option('--seed <n>', 'seed of the traffic and the emulators', port, 1)
    .option('--faults <preset>', 'fault injection in the emulators: none | light | heavy', 'light')
    .option('--no-traffic', 'start without simulated traffic')
    .action(
      async (options: {
        port: number;
        config: string;
        seed: number;
        faults: string;
        traffic: boolean;
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
        const { DEMO_KEYS, startDemo } = await import('../../app/demo.ts');
        const { createLogger } = await import('../../engine/logger.ts');
        const logger = createLogger({
          level: process.env.REVSYNC_LOG_LEVEL ?? 'info',
          file: logFile,
        });
        try {
          const demo = await startDemo({
            config: options.config,
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
            `emulators: Stripe ${demo.emulators.stripe}, Salesforce ${demo.emulators.salesforce}, NetSuite ${demo.emulators.netsuite}`,
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
