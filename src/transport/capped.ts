/**
 * Host output is hostile input: a command may print gigabytes. A CappedBuffer keeps the first
 * `limit` bytes of a stream and only counts the rest, so memory stays bounded however much
 * the host sends (issue #13 item 7).
 */
export class CappedBuffer {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #discarded = 0;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.#kept;
    if (chunk.length <= room) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
      return;
    }
    // Copy the kept part: a view would pin the whole (possibly large) chunk in memory.
    if (room > 0) {
      this.#chunks.push(Buffer.from(chunk.subarray(0, room)));
      this.#kept = this.limit;
    }
    this.#discarded += chunk.length - Math.max(room, 0);
  }

  /** Bytes dropped because the limit was reached. */
  get discarded(): number {
    return this.#discarded;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks, this.#kept);
  }
}

/** Default per-stream cap of one command's stdout or stderr (mtafleet_max_output, MTAFLEET_MAX_OUTPUT). */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** "16M", "512k", "1g", "65536" -> bytes; undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([kmg]?)i?b?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** 16777216 -> "16 MiB", for messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2) return `${Math.round((n / 1024 ** 2) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}
