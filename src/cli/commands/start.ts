import type { Command } from 'commander';
import { EXIT, fail, print } from '../output.ts';
import { untilSignal } from '../signals.ts';

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
    .action(async (options: { config: string; check?: boolean; json?: boolean }) => {
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
      try {
        const store = await openStore({ url: config.store?.url ?? 'sqlite:.revsync/revsync.db' });
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
        const runtime = new Runtime(config, { store, gateway, connectors, logger });
        const url = await runtime.start();
        process.stdout.write(
          `revsync running at ${url}/ with flows ${runtime.engine
            .flows()
            .map((f) => f.name)
            .join(', ')}; Ctrl-C to stop\n`,
        );
        await untilSignal();
        await runtime.stop();
      } catch (caught) {
        fail(caught, options);
      }
    });
}
