/**
 * Host output is hostile input: a command may print gigabytes. A CappedBuffer keeps the first
 * `limit` bytes of a stream and only counts the rest, so memory stays bounded however much
 * the host sends (issue #13 item 7).
 */
export class CappedBuffer {
  /** The kept bytes, copied out of each chunk, so no chunk outlives its 'data' event. */
  #buf: Buffer = Buffer.alloc(0);
  #kept = 0;
  #discarded = 0;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    const take = Math.max(0, Math.min(this.limit - this.#kept, chunk.length));
    if (take > 0) {
      this.#reserve(this.#kept + take);
      chunk.copy(this.#buf, this.#kept, 0, take);
      this.#kept += take;
    }
    this.#discarded += chunk.length - take;
  }

  /** Bytes dropped because the limit was reached. */
  get discarded(): number {
    return this.#discarded;
  }

  /** The kept bytes (a view: no copy). */
  toBuffer(): Buffer {
    return this.#buf.subarray(0, this.#kept);
  }

  /** Grows by doubling, never past the limit. */
  #reserve(size: number): void {
    if (size <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.limit, Math.max(size, this.#buf.length * 2, 4096)));
    this.#buf.copy(grown, 0, 0, this.#kept);
    this.#buf = grown;
  }
}

/** Default per-stream cap of one command's stdout or stderr (mtafleet_max_output, MTAFLEET_MAX_OUTPUT). */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Below this the small outputs mtafleet itself parses (locks, stat, listings) could be cut. */
export const MIN_MAX_OUTPUT_BYTES = 64 * 1024;
export const MAX_MAX_OUTPUT_BYTES = 1024 ** 3;
export const MAX_OUTPUT_RULE = 'must be a size between 64k and 1g (bytes, or with k, m or g: 512k, 8m)';

/**
 * A per-stream output cap from text or a number: "8m", "512k", "1g", "65536", 65536 -> bytes;
 * undefined when it is not a size within [64 KiB, 1 GiB].
 */
export function parseMaxOutput(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
  const m = /^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) && n >= MIN_MAX_OUTPUT_BYTES && n <= MAX_MAX_OUTPUT_BYTES ? n : undefined;
}

/** 16777216 -> "16 MiB", for messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2) return `${Math.round((n / 1024 ** 2) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}
