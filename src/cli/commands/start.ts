import { spawn, type ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import { EXIT, fail, print } from '../output.ts';
import { untilSignal } from '../signals.ts';

interface StartOptions {
  config: string;
  check?: boolean;
  json?: boolean;
  workers?: string;
  worker?: boolean;
  stats?: boolean;
}

/** `revsync start --config FILE`: the engine against the systems the configuration names. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'run revsync against the systems in a configuration file (validated first; every mistake is named)',
    )
    .requiredOption('-c, --config <file>', 'revsync.config.ts (export default defineConfig({ … }))')
    .option('--check', 'validate the configuration and the connections, then exit')
    .option('--json', 'print the --check result as JSON')
    .option(
      '--workers <n>',
      'run the flows in N engine worker processes sharing the (PostgreSQL) database; this process serves webhooks, the API and the pollers and routes events',
    )
    .option(
      '--worker',
      'run only the engine (no HTTP server, no pollers): one worker of a PostgreSQL deployment',
    )
    .option('--stats', 'on stop, print the engine and group-commit counters as one JSON line')
    .action(async (options: StartOptions) => {
      const { loadConfig } = await import('../../config/load-config.ts');
      let config;
      try {
        config = await loadConfig(options.config);
      } catch (caught) {
        fail(caught, options, EXIT.usage);
        return;
      }
      const [
        { buildConnectors },
        { Runtime },
        { createLogger },
        { OutboundGateway },
        { openStore },
      ] = await Promise.all([
        import('../../app/build-connectors.ts'),
        import('../../app/runtime.ts'),
        import('../../engine/logger.ts'),
        import('../../gateway/outbound-gateway.ts'),
        import('../../store/open-store.ts'),
      ]);
      const logger = createLogger();
      const workers = options.workers === undefined ? 0 : Number(options.workers);
      if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
        fail(
          new Error(`--workers takes a whole number from 1 to 64, not ${options.workers}`),
          options,
          EXIT.usage,
        );
        return;
      }
      try {
        const store = await openStore({ url: config.store?.url ?? 'sqlite:.revsync/revsync.db' });
        if ((workers > 0 || options.worker) && store.dialect !== 'postgres') {
          await store.close();
          fail(
            new Error(
              `--workers and --worker need a PostgreSQL store (store.url postgres://…): on SQLite one process owns the file`,
            ),
            options,
            EXIT.usage,
          );
          return;
        }
        const gateway = new OutboundGateway();
        const connectors = await buildConnectors(config, gateway, logger);
        if (options.check) {
          const checks: Record<string, string> = {};
          for (const [role, connector] of Object.entries(connectors)) {
            try {
              await connector.check();
              checks[`${role} (${connector.system})`] = 'ok';
            } catch (caught) {
              checks[`${role} (${connector.system})`] =
                caught instanceof Error ? caught.message : String(caught);
            }
          }
          await store.close();
          const ok = Object.values(checks).every((v) => v === 'ok');
          print(
            { config: config.source, flows: [...config.enabledFlows], connections: checks, ok },
            options,
            (r) =>
              [
                `configuration ${r.config} is valid; flows: ${r.flows.join(', ')}`,
                ...Object.entries(r.connections).map(([k, v]) => `  ${k}: ${v}`),
              ].join('\n'),
          );
          process.exitCode = ok ? EXIT.ok : EXIT.failed;
          return;
        }
        if (options.worker) {
          // One engine worker: claims and executes runs; the ingress process takes the traffic.
          const runtime = new Runtime(config, { store, gateway, connectors, logger });
          await runtime.engine.start();
          process.stdout.write(
            `revsync worker ${runtime.engine.workerId} running flows ${runtime.engine
              .flows()
              .map((f) => f.name)
              .join(', ')}\n`,
          );
          await untilSignal();
          await runtime.engine.stop();
          for (const c of Object.values(connectors)) await c.close?.();
          if (options.stats) printStats('worker', runtime.engine.wakes, store);
          await store.close();
          return;
        }
        // With --workers the engine of this process routes inbox events into runs but executes
        // none (concurrency 0); the worker processes claim them, woken by LISTEN/NOTIFY.
        const runtime = new Runtime(config, {
          store,
          gateway,
          connectors,
          logger,
          ...(workers > 0 && { engine: { concurrency: 0 } }),
        });
        const url = await runtime.start();
        const pool = workers > 0 ? new WorkerPool(options, workers) : undefined;
        pool?.start();
        process.stdout.write(
          `revsync running at ${url}/ with flows ${runtime.engine
            .flows()
            .map((f) => f.name)
            .join(', ')}${workers > 0 ? ` in ${workers} worker processes` : ''}; Ctrl-C to stop\n`,
        );
        await untilSignal();
        await pool?.stop();
        const { wakes } = runtime.engine;
        const stats = { ...store.commits.stats };
        await runtime.stop();
        if (options.stats) printStats('start', wakes, { commits: { stats } });
      } catch (caught) {
        fail(caught, options);
      }
    });
}

function printStats(
  role: string,
  wakes: Record<string, number>,
  store: { commits: { stats: object } },
): void {
  process.stdout.write(
    `revsync stats ${JSON.stringify({ role, pid: process.pid, wakes, commits: store.commits.stats })}\n`,
  );
}

/**
 * `--workers N`: N `revsync start --worker` child processes on the same configuration. A worker
 * that exits unexpectedly (killed, crashed) is started again after a second; its runs' leases
 * expire and any worker resumes them from their last checkpoint.
 */
class WorkerPool {
  readonly #options: StartOptions;
  readonly #size: number;
  readonly #children = new Set<ChildProcess>();
  #stopping = false;

  constructor(options: StartOptions, size: number) {
    this.#options = options;
    this.#size = size;
  }

  start(): void {
    for (let i = 1; i <= this.#size; i++) this.#spawn(i);
  }

  #spawn(index: number): void {
    const argv = [
      ...process.execArgv,
      process.argv[1]!,
      'start',
      '--config',
      this.#options.config,
      '--worker',
      ...(this.#options.stats ? ['--stats'] : []),
    ];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
    this.#children.add(child);
    process.stdout.write(`revsync worker ${index} pid ${child.pid}\n`);
    child.once('exit', (code, signal) => {
      this.#children.delete(child);
      if (this.#stopping) return;
      process.stderr.write(
        `revsync: worker ${index} (pid ${child.pid}) exited (${signal ?? code}); starting it again\n`,
      );
      setTimeout(() => {
        if (!this.#stopping) this.#spawn(index);
      }, 1_000).unref();
    });
  }

  /** Stops every worker (SIGTERM: each lets its runs reach a checkpoint) and waits for them. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
          }),
      ),
    );
  }
}
