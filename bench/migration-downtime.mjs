/** migration-downtime: placeholder until the live-copy spool migration exists (see below). */
export default async function migrationDowntime() {
  return { status: 'not-runnable', reason: 'spool-migrate copies with the service stopped (src/steps/spool/plan.ts): no pre-copy while PowerMTA runs' };
}
