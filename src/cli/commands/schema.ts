import type { Command } from 'commander';
import { fail, print } from '../output.ts';

/** `revsync schema export`: the canonical model's JSON Schemas, one file per entity. */
export function registerSchemaCommand(program: Command): void {
  const schema = program.command('schema').description('canonical model schemas');
  schema
    .command('export')
    .description(
      'write the JSON Schema (draft 2020-12) of every canonical entity and of the event envelope',
    )
    .option('-o, --out <dir>', 'directory to write into', 'schemas')
    .option('--json', 'print the written paths as JSON')
    .action(async (options: { out: string; json?: boolean }) => {
      try {
        const { writeJsonSchemas } = await import('../../model/schema-export.ts');
        const paths = await writeJsonSchemas(options.out);
        print(
          paths,
          options,
          (p) =>
            `wrote ${p.length} schemas to ${options.out}/\n${p.map((x) => `  ${x}`).join('\n')}`,
        );
      } catch (caught) {
        fail(caught, options);
      }
    });
}
