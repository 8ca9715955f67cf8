import { Command } from 'commander';
import { registerDemoCommand } from './commands/demo.ts';
import { registerEmulateCommand } from './commands/emulate.ts';
import { registerKeysCommand } from './commands/keys.ts';
import { registerSchemaCommand } from './commands/schema.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerStatusCommand } from './commands/status.ts';

/** Builds the `revsync` command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('revsync')
    .description(
      'revsync keeps CRM, billing and ERP in step: durable flows, exactly-once effects, exception queue, reconciliation',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStartCommand(program);
  registerDemoCommand(program);
  registerEmulateCommand(program);
  registerSchemaCommand(program);
  registerSimulateCommand(program);
  registerStatusCommand(program);
  registerKeysCommand(program);
  return program;
}
