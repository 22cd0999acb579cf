// Real TCP sessions to a simulated remote MX inside the host (port-exhaustion world): the remote
// closes some sessions first and the client never closes them (CLOSE-WAIT piles up on the
// client); the client closes the others first (they linger in TIME-WAIT). Counts are bounded.
import net from 'node:net';

export class MxSockets {
  /**
   * spec.listen: an address, or 'host' for the host's own address (127.0.0.2 if it has none).
   * Loopback addresses make Linux reuse TIME-WAIT ports at once (tcp_tw_reuse=2 default), so
   * only a non-loopback address lets TIME-WAIT pile up as on a real server.
   */
  constructor(spec, log, hostAddress = null) {
    this.spec = { port: 25, closeWait: 300, timeWaitPerSec: 6, ...spec };
    if (this.spec.listen === 'host') this.spec.listen = hostAddress && hostAddress !== '127.0.0.1' ? hostAddress : '127.0.0.2';
    this.log = log;
    this.held = [];
    this.server = null;
    this.timer = null;
    this.lastError = 0;
  }

  start() {
    const { listen, port } = this.spec;
    let n = 0;
    this.server = net.createServer({ allowHalfOpen: true }, (sock) => {
      sock.on('error', () => {});
      sock.write('220 mx.sim ESMTP ready\r\n');
      n += 1;
      // Every other session the remote hangs up right after the banner.
      if (n % 2 === 0) sock.end();
      else sock.on('end', () => sock.end());
    });
    this.server.on('error', (err) => this.log(`mx simulator: ${err.message}`));
    this.server.listen(port, listen);
    this.timer = setInterval(() => this.churn(), 1000);
  }

  churn() {
    for (let i = 0; i < this.spec.timeWaitPerSec * 2; i += 1) {
      const sock = net.createConnection({ host: this.spec.listen, port: this.spec.port, allowHalfOpen: true });
      sock.on('error', (err) => {
        const now = Date.now();
        if (now - this.lastError > 5000) {
          this.lastError = now;
          // The Guide's log style: errno symbol, then what was being done ("ETIMEDOUT connecting to HOST (IP)").
          this.log(err.code ? `${err.code} connecting to ${this.spec.listen} (${this.spec.listen}:${this.spec.port})` : `Error connecting to ${this.spec.listen}:${this.spec.port}: ${err.message}`);
        }
        sock.destroy();
      });
      sock.once('data', () => {
        let weClosed = false;
        // Remote-closed sessions are kept (never closed by us): CLOSE-WAIT.
        sock.once('end', () => {
          if (weClosed) return;
          if (this.held.length < this.spec.closeWait) this.held.push(sock);
          else sock.destroy();
        });
        // The others we close first: TIME-WAIT on our side.
        setTimeout(() => {
          if (!sock.readableEnded) {
            weClosed = true;
            sock.end();
          }
        }, 200);
      });
    }
  }

  stop() {
    clearInterval(this.timer);
    for (const s of this.held) s.destroy();
    this.held = [];
    this.server?.close();
  }
}
