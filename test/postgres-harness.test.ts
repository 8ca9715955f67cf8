import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

describe('test harness [postgres]', () => {
  it('provides a PostgreSQL 15+ server', async () => {
    const client = new pg.Client({ connectionString: inject('pgUrl') });
    await client.connect();
    const { rows } = await client.query<{ v: string }>(
      "select current_setting('server_version_num') as v",
    );
    await client.end();
    expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(150000);
  });
});
