/**
 * The little the store needs from a database, over both backends: SQL written with `?`
 * placeholders (PostgreSQL's `$n` are numbered by the backend), one writer transaction at a
 * time (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock taken in the transaction), and
 * multi-row inserts.
 */
export type Param = string | number | null;

export interface Db {
  readonly backend: 'sqlite' | 'postgres';
  /** Where the store is, for messages: a file path, or the URL without credentials. */
  readonly where: string;
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** Inserts rows; with `ignore`, rows whose key exists are skipped (ON CONFLICT DO NOTHING). */
  insertMany(table: string, columns: readonly string[], rows: readonly Param[][], ignore?: boolean): Promise<void>;
  /** Runs fn as the only writer: no other process writes the store meanwhile. */
  writeTransaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` -> `$1`, `$2`, ...: the store's SQL has no `?` inside string literals. */
export function numberedParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Splits rows into chunks of at most `maxParams` parameters (both backends cap one statement). */
export function chunks<T>(rows: readonly T[][], maxParams: number): T[][][] {
  if (rows.length === 0) return [];
  const per = Math.max(1, Math.floor(maxParams / rows[0]!.length));
  const out: T[][][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}

export function insertSql(table: string, columns: readonly string[], count: number, ignore: boolean): string {
  const one = `(${columns.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: count }, () => one).join(', ')}${ignore ? ' ON CONFLICT DO NOTHING' : ''}`;
}
