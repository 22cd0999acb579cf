/** --out FILE: write the whole report atomically (temp file in the same dir, rename), mode 0644. */
import { chmod, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../util/errors.js';

export async function writeReportFile(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, 0o644); // the umask may have narrowed it
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    const why = err instanceof Error ? err.message : String(err);
    throw new InputError(`cannot write the report to ${file}: ${why}`, { cause: err });
  }
}
