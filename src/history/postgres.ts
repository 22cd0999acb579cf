/**
 * The PostgreSQL backend, for a team sharing one history. Short timeouts (a dead database must
 * not hold an audit up for more than a few seconds); int8 read as numbers (our BIGINTs are
 * epoch ms, well inside 2^53); the writer lock is a transaction-scoped advisory lock, so two
 * runners recording at once take turns and neither loses a row.
 */
import pg from 'pg';
import { chunks, insertSql, numberedParams, type Db, type Param } from './db.js';

/** PostgreSQL takes at most 65535 parameters in one statement. */
const MAX_PARAMS = 60_000;
/** Any number of ours: it names the store's writer lock among the database's advisory locks. */
const WRITER_LOCK = 0x6d7461660016;
const INT8_OID = 20;

export interface PgOptions {
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export async function openPostgres(url: string, where: string, options: PgOptions = {}): Promise<Db> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_500,
    // Bounds every query, also one whose server vanished without closing the socket.
    query_timeout: options.statementTimeoutMs ?? 60_000,
    keepAlive: true,
    application_name: 'mtafleet',
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A server that goes away later emits 'error' on the idle client: the next query fails instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  const all = async <T>(sql: string, params: readonly Param[] = []): Promise<T[]> =>
    (await client.query(numberedParams(sql), params as Param[])).rows as T[];
  return {
    backend: 'postgres',
    where,
    all,
    run: async (sql, params = []) => (await client.query(numberedParams(sql), params as Param[])).rowCount ?? 0,
    insertMany: async (table, columns, rows, ignore = false) => {
      for (const chunk of chunks(rows as Param[][], MAX_PARAMS)) await client.query(numberedParams(insertSql(table, columns, chunk.length, ignore)), chunk.flat());
    },
    writeTransaction: async <T>(fn: () => Promise<T>) => {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
        const out = await fn();
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}
