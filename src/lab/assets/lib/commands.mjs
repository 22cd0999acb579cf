// Daemon side of the `pmta` commands (control socket).
import { loadConfig, ConfigError } from './config.mjs';
import { PATHS } from './paths.mjs';
import { renderStatus, renderVmtas, renderDomains, renderQueues, envelope } from './render.mjs';
import { statusView, statusData, mtaData, vmtasData, domainsData, queuesData, vmtaSelection, domainSelection, queueSelection } from './snapshot.mjs';
import { injectMessages } from './inbound.mjs';

const ok = (out = '') => ({ code: 0, out, err: '' });

export function makeCommands(ctx) {
  const { engine } = ctx;
  const handlers = {
    status: ({ json }) => ok(json ? envelope({ mta: mtaData(ctx), status: statusData(ctx) }) + '\n' : renderStatus(statusView(ctx))),
    vmtas: ({ json, opts }) => ok(json ? envelope(vmtasData(ctx, opts)) + '\n' : renderVmtas(vmtaSelection(ctx, opts).rows, engine.vmtaRows().length)),
    domains: (args) => domains(args, false),
    topdomains: (args) => domains(args, true),
    queues: (args) => queues(args, false),
    topqueues: (args) => queues(args, true),
    mode: ({ mode, queue }) => {
      engine.setMode(queue, mode);
      return ok(`Queue(s) set to ${mode} mode.\n`);
    },
    reload: () => {
      try {
        const model = loadConfig(PATHS.config);
        engine.applyModel(model);
        ctx.log('Configuration reloaded');
        return ok('Configuration reloaded.\n');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        ctx.log(`${err.message}; configuration not reloaded`);
        return { code: 1, out: '', err: `${err.message}\n` };
      }
    },
    pause: ({ queue }) => {
      engine.paused.add(queue.includes('/') ? queue : `${queue}/*`);
      return ok('Queue(s) paused.\n');
    },
    resume: ({ queue }) => {
      const key = queue.includes('/') ? queue : `${queue}/*`;
      const [d, v] = key.split('/');
      for (const p of [...engine.paused]) {
        const [pd, pv] = p.split('/');
        if ((d === '*' || d === pd) && (v === '*' || v === pv)) engine.paused.delete(p);
      }
      return ok('Queue(s) resumed.\n');
    },
    inject: async ({ count, domain, sizeBytes }) => {
      await injectMessages(ctx, count, domain ?? null, { jobId: 'inject', ...(sizeBytes ? { sizeBytes } : {}) });
      return ok(`${count} messages injected.\n`);
    },
    rotate: () => {
      ctx.accounting.rotate();
      return ok();
    },
  };
  function domains({ json, opts = {}, name }, top) {
    const selection = domainSelection(ctx, { opts, name, top });
    return ok(json ? envelope(domainsData(ctx, selection)) + '\n' : renderDomains(selection.rows, { total: selection.total, errors: opts.errors }));
  }
  function queues({ json, opts = {}, name }, top) {
    const selection = queueSelection(ctx, { opts, name, top });
    return ok(json ? envelope(queuesData(ctx, selection)) + '\n' : renderQueues(selection.rows, { total: selection.total, pattern: name ?? '*/*' }));
  }
  return async (cmd, args) => {
    const h = handlers[cmd];
    if (!h) return { code: 1, out: '', err: `unknown command "${cmd}"\n` };
    return h(args);
  };
}
