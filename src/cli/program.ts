import { Command } from 'commander';
import { registerApprovalsCommand } from './commands/approvals.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerCloseCommand } from './commands/close.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerEmulateCommand } from './commands/emulate.ts';
import { registerKeysCommand } from './commands/keys.ts';
import { registerOperateCommands } from './commands/operate.ts';
import { registerReconCommand } from './commands/recon.ts';
import { registerSchemaCommand } from './commands/schema.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerStatusCommand } from './commands/status.ts';

/**
 * Builds the `revsync` command tree. Commands load their implementation when they run, so a
 * command starts without loading the others; `emulate`'s per-emulator flags are loaded only
 * when the command line is about `emulate`.
 */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('revsync')
    .description(
      'revsync keeps CRM, billing and ERP in step: durable flows, exactly-once effects, exception queue, reconciliation',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStartCommand(program);
  registerDemoCommand(program);
  registerEmulateCommand(
    program,
    argv.slice(2).includes('emulate') ? (await import('@revsync/emulators')).EMULATORS : undefined,
  );
  registerReconCommand(program);
  registerCloseCommand(program);
  registerSchemaCommand(program);
  registerSimulateCommand(program);
  registerStatusCommand(program);
  registerOperateCommands(program);
  registerKeysCommand(program);
  registerAuditCommand(program);
  registerApprovalsCommand(program);
  return program;
}
