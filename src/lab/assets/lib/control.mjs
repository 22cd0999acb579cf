// Control socket protocol between `pmta` and pmtad: one JSON request line, one JSON reply line.
import net from 'node:net';

/** Sends { cmd, args } and resolves { code, out, err }. Rejects when no daemon listens. */
export function request(socketPath, cmd, args = {}, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error('timeout talking to pmtad'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.on('connect', () => sock.write(JSON.stringify({ cmd, args }) + '\n'));
    sock.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Serves the protocol; handler(cmd, args) returns { code, out, err } (may be async). */
export function serve(socketPath, handler) {
  const server = net.createServer((sock) => {
    let buf = '';
    sock.on('data', async (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let reply;
      try {
        const { cmd, args } = JSON.parse(buf.slice(0, nl));
        reply = await handler(cmd, args ?? {});
      } catch (err) {
        reply = { code: 1, out: '', err: `${err.message}\n` };
      }
      sock.end(JSON.stringify(reply) + '\n');
    });
    sock.on('error', () => {});
  });
  server.listen(socketPath);
  return server;
}
