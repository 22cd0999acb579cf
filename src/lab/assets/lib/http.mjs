// HTTP management interface (UG §3.3.1.36, §5): /status, /vmtas, /domains, /queues with
// ?format=json, access by http-access CIDR (default none -> 403) or http-api-key.
import http from 'node:http';
import { envelope, renderStatus, renderVmtas, renderDomains, renderQueues } from './render.mjs';
import { statusData, statusView, mtaData, vmtasData, domainsData, queuesData, vmtaSelection, domainSelection, queueSelection } from './snapshot.mjs';

function ipv4ToInt(ip) {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function cidrContains(cidr, ip) {
  const [base, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const a = ipv4ToInt(base);
  const b = ipv4ToInt(ip.replace(/^::ffff:/, ''));
  if (a === null || b === null) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

/** Access level for a client: the most specific matching http-access rule wins; default none. */
export function accessLevel(rules, ip) {
  let best = null;
  for (const r of rules) {
    const bits = Number(r.cidr.split('/')[1] ?? 32);
    if (cidrContains(r.cidr, ip) && (best === null || bits >= best.bits)) best = { bits, level: r.level };
  }
  return best?.level ?? 'none';
}

export function startHttp(ctx, log) {
  const port = ctx.engine.model.httpMgmtPort;
  if (!port) return null;
  const server = http.createServer((req, res) => {
    try {
      serveOne(req, res);
    } catch (err) {
      log(`http: ${err.message}`);
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('500 Internal Server Error\n');
    }
  });
  function serveOne(req, res) {
    const model = ctx.engine.model;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const keyOk = model.httpApiKey && req.headers['x-api-key'] === model.httpApiKey;
    if (!keyOk && accessLevel(model.httpAccess, req.socket.remoteAddress ?? '') === 'none') {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('403 Forbidden\n');
      return;
    }
    const json = url.searchParams.get('format') === 'json';
    const views = {
      '/status': [() => ({ mta: mtaData(ctx), status: statusData(ctx) }), () => renderStatus(statusView(ctx))],
      '/vmtas': [() => vmtasData(ctx), () => renderVmtas(vmtaSelection(ctx).rows)],
      '/domains': [() => domainsData(ctx), () => { const s = domainSelection(ctx); return renderDomains(s.rows, { total: s.total }); }],
      '/queues': [() => queuesData(ctx), () => { const s = queueSelection(ctx); return renderQueues(s.rows, { total: s.total }); }],
    };
    const view = views[url.pathname];
    if (!view) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 Not Found\n');
      return;
    }
    if (json) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(envelope(view[0]()));
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(view[1]());
    }
  }
  server.on('error', (err) => log(`Error: cannot listen on http-mgmt-port ${port}: ${err.message}`));
  server.listen(port, '0.0.0.0');
  return server;
}
