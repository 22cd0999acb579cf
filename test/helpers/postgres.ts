/**
 * A throwaway PostgreSQL cluster for tests (the code is bench/lib/postgres.mjs, shared with the
 * history benchmark): initdb + pg_ctl as an unprivileged user in a temp dir, on a free loopback
 * port, password authentication. Always remove() it in afterAll.
 */
// @ts-expect-error plain .mjs module without type declarations
import * as impl from '../../bench/lib/postgres.mjs';

export interface PgCluster {
  /** postgres://USER:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  start(): void;
  /** Immediate shutdown: clients see their connections drop, as when a server dies. */
  stop(): void;
  remove(): void;
}

export const PG_USER: string = impl.PG_USER;
export const PG_PASSWORD: string = impl.PG_PASSWORD;
export const startPostgres: (options?: { settings?: string[] }) => Promise<PgCluster> = impl.startPostgres;
export const createDatabase: (cluster: PgCluster, name: string) => Promise<string> = impl.createDatabase;
