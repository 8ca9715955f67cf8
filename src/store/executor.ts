import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A connection or an open transaction; repository functions accept either. */
export type Executor = Kysely<Database>;
