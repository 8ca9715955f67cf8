import { describe, expect, it } from 'vitest';
import { UpcasterRegistry, UpcastError, upcasters } from './upcasters.ts';

describe('UpcasterRegistry', () => {
  const registry = new UpcasterRegistry([
    { schema: 'customer', from: 2, up: (v) => ({ ...(v as object), tier: 'standard' }) },
    {
      schema: 'customer',
      from: 1,
      up: (v) => {
        const { fullName, ...rest } = v as { fullName: string };
        return { ...rest, name: fullName };
      },
    },
  ]);

  it('a schema without upcasters is at v1 and passes values through', () => {
    expect(registry.currentVersion('invoice')).toBe(1);
    expect(registry.upcast('invoice', { a: 1 })).toEqual({
      value: { a: 1 },
      version: 1,
      path: [1],
    });
  });

  it('chains the steps in order and sets an entity’s schemaVersion at each', () => {
    expect(registry.currentVersion('customer')).toBe(3);
    expect(registry.upcast('customer', { schemaVersion: 1, fullName: 'Acme' }, 1)).toEqual({
      value: { schemaVersion: 3, name: 'Acme', tier: 'standard' },
      version: 3,
      path: [1, 2, 3],
    });
    expect(registry.upcast('customer', { schemaVersion: 2, name: 'Acme' }, 2).value).toEqual({
      schemaVersion: 3,
      name: 'Acme',
      tier: 'standard',
    });
  });

  it('refuses versions it cannot reach and names a failing step', () => {
    expect(() => registry.upcast('customer', {}, 4)).toThrow(/newer than this code's v3/);
    expect(() => registry.upcast('customer', {}, 0)).toThrow(UpcastError);
    const failing = new UpcasterRegistry([
      {
        schema: 'x',
        from: 1,
        up: () => {
          throw new Error('no id');
        },
      },
    ]);
    expect(() => failing.upcast('x', {}, 1)).toThrow('x: upcasting v1 → v2 failed: no id');
  });

  it('refuses a chain with a gap', () => {
    expect(() => new UpcasterRegistry([{ schema: 'x', from: 2, up: (v) => v }])).toThrow(
      /found one from v2 where v1 was expected/,
    );
  });

  it('the repository has no upcasters yet: every schema is at v1', () => {
    expect(upcasters.schemas()).toEqual([]);
  });
});
