/**
 * The SQLite backend (the default): one file in the runner's private state dir, created 0600
 * before SQLite opens it (its -wal and -shm files take the same mode), WAL mode so readers
 * never wait for a writer, and a busy timeout so two runners writing at once queue rather
 * than fail.
 */
import Database from 'better-sqlite3';
import { closeSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createPrivateFile, ensurePrivateDir, privateProblem } from '../util/private-fs.js';
import { InputError } from '../util/errors.js';
import { chunks, insertSql, type Db, type Param } from './db.js';

/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER is 32766; stay well below. */
const MAX_PARAMS = 30_000;

export function openSqlite(file: string, options: { busyTimeoutMs?: number; privateDir?: boolean } = {}): Db {
  const path = resolve(file);
  // The state dir must be private (checked); a file the operator named (--db) may sit in any
  // dir of theirs: only a missing one is created, 0700. The file itself is private either way.
  if (options.privateDir !== false) ensurePrivateDir(dirname(path), true);
  else mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  ensurePrivateFile(path);
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 30_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  return {
    backend: 'sqlite',
    where: path,
    // async: a statement that fails to prepare rejects, as PostgreSQL's do.
    all: async <T>(sql: string, params: readonly Param[] = []) => prepared(sql).all(...params) as T[],
    run: async (sql, params = []) => prepared(sql).run(...params).changes,
    insertMany: async (table, columns, rows, ignore = false) => {
      for (const chunk of chunks(rows as Param[][], MAX_PARAMS)) prepared(insertSql(table, columns, chunk.length, ignore)).run(...chunk.flat());
    },
    writeTransaction: async <T>(fn: () => Promise<T>) => {
      // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so two runners
      // never both read, then both write.
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn();
        db.exec('COMMIT');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    close: async () => {
      db.close();
    },
  };
}

/** Creates the store file 0600 (O_EXCL) when missing, else checks it is private. */
function ensurePrivateFile(path: string): void {
  try {
    const st = lstatSync(path);
    const problem = privateProblem(st, 'file');
    if (problem) throw new InputError(`${path} ${problem}; the history store must be private to you (mode 0600, owned by you, no symlink)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    closeSync(createPrivateFile(path));
  }
}
