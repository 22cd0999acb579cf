// A second runner for the concurrency tests: records N audits of its own into the store at
// argv[2] (a URL or SQLite file) through the built dist/ (as a separate `mtafleet` would).
import { openStore, storeTarget, auditRecord } from '../../dist/history/index.js';

const [, , db, prefix, countText, hostsText] = process.argv;
const count = Number(countText);
const hosts = Number(hostsText);
const store = await openStore(storeTarget({ db, stateDir: '/nonexistent' }));
for (let i = 0; i < count; i++) {
  const list = Array.from({ length: hosts }, (_, h) => ({
    name: `mta${String(h).padStart(3, '0')}`, reachable: true, error: null, facts: { pmtaStatus: { deliveredLastHour: i * 10 + h, connections: {}, queue: {}, spool: {} } },
    findings: i % 2 === 0 ? [{ kind: 'spool-io', severity: 'warn', title: 't', evidence: [], remedy: null, strength: 1 }] : [], unavailable: {}, warnings: [],
  }));
  const rec = auditRecord({ hosts: list, summary: { hosts: hosts, reachable: hosts, byKind: {} } }, {
    auditId: `${prefix}-${i}`, at: Date.now(), who: `${prefix}@test`,
    params: { inventory: null, limit: null, forks: 1, windowHours: 24, benchmarkDisk: false, incremental: false },
  });
  await store.recordAudit(rec);
}
await store.close();
