export * from './circuit-breaker.ts';
export * from './governor.ts';
export * from './lanes.ts';
export * from './outbound-gateway.ts';
export * from './http-errors.ts';
export * from '../model/revsync-error.ts';
