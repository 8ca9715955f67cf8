#!/usr/bin/env node
import { CommanderError } from 'commander';
import { EXIT } from './output.ts';
import { buildProgram } from './program.ts';

try {
  await (await buildProgram(process.argv)).parseAsync(process.argv);
} catch (caught) {
  if (caught instanceof CommanderError) {
    process.exitCode = caught.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`revsync: ${caught instanceof Error ? caught.message : String(caught)}\n`);
    process.exitCode = EXIT.failed;
  }
}
