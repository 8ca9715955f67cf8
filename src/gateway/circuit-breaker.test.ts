import { describe, expect, it } from 'vitest';
import { RetryableError, ValidationError } from '../model/revsync-error.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { OutboundConnection } from './outbound-gateway.ts';

describe('circuit breaker', () => {
  it('opens after consecutive failures, probes after the open period, and closes on success', () => {
    let now = 0;
    const circuit = new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, { now: () => now });
    for (let i = 0; i < 3; i++) circuit.recordFailure();
    expect(circuit.snapshot().state).toBe('open');
    expect(circuit.decide()).toEqual({ allowed: false, retryAfterMs: 1000 });
    now = 1000;
    expect(circuit.decide()).toEqual({ allowed: true, probe: true });
    expect(circuit.decide().allowed).toBe(false); // one probe at a time
    circuit.recordFailure();
    expect(circuit.snapshot()).toMatchObject({ state: 'open', retryAt: 3000 }); // doubled
    now = 3000;
    expect(circuit.decide()).toEqual({ allowed: true, probe: true });
    circuit.recordSuccess();
    expect(circuit.snapshot().state).toBe('closed');
  });
});

describe('outbound connection', () => {
  it('fails fast with circuit_open while the system is down, and counts only outages against it', async () => {
    let now = 0;
    const conn = new OutboundConnection(
      'erp',
      { system: 'netsuite', circuit: { failureThreshold: 2, openMs: 500 } },
      { now: () => now },
    );
    const fail = (e: Error) => conn.call({ operation: 'x' }, async () => Promise.reject(e));
    await expect(fail(new ValidationError('bad request'))).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(fail(new ValidationError('bad request'))).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(conn.health().circuit.state).toBe('closed');
    await expect(fail(new RetryableError('503'))).rejects.toMatchObject({ code: 'transient' });
    await expect(fail(new RetryableError('503'))).rejects.toMatchObject({ code: 'transient' });
    await expect(conn.call({ operation: 'x' }, async () => 'never')).rejects.toMatchObject({
      code: 'circuit_open',
      retryAfterMs: 500,
    });
    now = 500;
    await expect(conn.call({ operation: 'x' }, async () => 'back')).resolves.toBe('back');
    expect(conn.health()).toMatchObject({
      circuit: { state: 'closed', opens: 1 },
      calls: 5,
      failures: 4,
    });
  });
});
