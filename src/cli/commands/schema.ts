import type { Command } from 'commander';
import { fail, print } from '../output.ts';

/** Default registry directory, relative to the working directory (the repository root). */
const REGISTRY_DIR = 'schemas';

/**
 * `revsync schema export|check|bump`: the canonical model's JSON Schemas and the versioned
 * registry in `schemas/<name>/v<N>.json` (docs/schemas.md).
 */
export function registerSchemaCommand(program: Command): void {
  const schema = program
    .command('schema')
    .description('canonical model schemas and the versioned schema registry (schemas/)');
  schema
    .command('export')
    .description(
      'write the JSON Schema (draft 2020-12) of every canonical entity and of the event envelope',
    )
    .option('-o, --out <dir>', 'directory to write into', 'dist/schemas')
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

  schema
    .command('check')
    .description(
      'compare the schemas the code generates with the committed registry under each schema’s compatibility mode; exit 0 pass, 2 incompatible or unreleased, 1 error',
    )
    .option('--dir <dir>', 'registry directory', REGISTRY_DIR)
    .option('--json', 'print the result as JSON')
    .action(async (options: { dir: string; json?: boolean }) => {
      try {
        const [{ checkRegistry }, { registrySchemas }, { upcasters }] = await Promise.all([
          import('../../governance/schema-registry.ts'),
          import('../../model/schema-export.ts'),
          import('../../model/upcasters.ts'),
        ]);
        const check = await checkRegistry({
          dir: options.dir,
          generated: registrySchemas(upcasters),
          upcasters,
        });
        print(check, options, (c) => {
          const lines = c.results
            .filter((r) => r.status !== 'unchanged')
            .flatMap((r) => [
              `${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.mode}, v${r.latest}): ${r.message}`,
              ...r.issues.map(
                (i) => `       ${i.direction} vs v${i.against} ${i.path}: ${i.kind}: ${i.message}`,
              ),
            ]);
          for (const orphan of c.orphans) {
            lines.push(
              `FAIL ${orphan}: committed in ${options.dir}/ but no schema of the code has this name`,
            );
          }
          const unchanged = c.results.filter((r) => r.status === 'unchanged').length;
          lines.push(
            c.ok
              ? `schema check passed: ${c.results.length} schemas, ${unchanged} unchanged`
              : `schema check failed: ${c.failed + c.orphans.length} of ${c.results.length} schemas`,
          );
          return lines.join('\n');
        });
        if (!check.ok) process.exitCode = 2;
      } catch (caught) {
        fail(caught, options);
      }
    });

  schema
    .command('bump')
    .description(
      'write the next version schemas/<name>/v<N+1>.json from the code (the upcaster from v<N> must exist); with --new, v1 of every schema not yet registered',
    )
    .argument('[names...]', 'registry names, e.g. invoice, billing.invoice.finalized')
    .option('--dir <dir>', 'registry directory', REGISTRY_DIR)
    .option('--new', 'write v1 of every schema that has no committed version')
    .option('--json', 'print the written files as JSON')
    .action(async (names: string[], options: { dir: string; new?: boolean; json?: boolean }) => {
      try {
        const [{ bumpSchema, readVersions }, { registrySchemas }, { upcasters }] =
          await Promise.all([
            import('../../governance/schema-registry.ts'),
            import('../../model/schema-export.ts'),
            import('../../model/upcasters.ts'),
          ]);
        const generated = registrySchemas(upcasters);
        const targets = [...names];
        if (options.new) {
          for (const g of generated) {
            if ((await readVersions(options.dir, g.name)).length === 0) targets.push(g.name);
          }
        }
        if (targets.length === 0) {
          throw new Error('name a schema to bump (or pass --new)');
        }
        const written = [];
        for (const name of targets) {
          written.push(await bumpSchema({ dir: options.dir, name, generated }));
        }
        print(written, options, (w) =>
          w.map((r) => `wrote ${r.path} (${r.name} v${r.version})`).join('\n'),
        );
      } catch (caught) {
        fail(caught, options);
      }
    });
}
