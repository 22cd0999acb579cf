/** SSH wire encoding (RFC 4251 §5): uint32, string, mpint; a reader that names what is short. */

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function sshString(data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([u32(b.length), b]);
}

/** A non-negative integer given as unsigned big-endian bytes, as an SSH mpint. */
export function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let v = unsigned.subarray(i);
  if (v.length > 0 && (v[0] & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return sshString(v);
}

export class WireReader {
  private off = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  bytes(n: number, field: string): Buffer {
    if (this.off + n > this.buf.length) throw new Error(`${this.what} is truncated (at ${field})`);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  u32(field: string): number {
    return this.bytes(4, field).readUInt32BE();
  }

  string(field: string): Buffer {
    return this.bytes(this.u32(field), field);
  }

  text(field: string): string {
    return this.string(field).toString('utf8');
  }

  /** An mpint as unsigned big-endian bytes (leading zeros dropped). */
  mpint(field: string): Buffer {
    const v = this.string(field);
    if (v.length > 0 && (v[0] & 0x80) !== 0) throw new Error(`${this.what}: ${field} is negative`);
    let i = 0;
    while (i < v.length && v[i] === 0) i++;
    return v.subarray(i);
  }

  end(): void {
    if (this.off !== this.buf.length) throw new Error(`${this.what} has ${this.buf.length - this.off} unexpected trailing byte(s)`);
  }
}
