import { describe, expect, it } from 'vitest';
import { SCENARIO_NAMES, parseScenarioList, scenarioSetup, sourceIps } from '../../../src/lab/scenarios.js';
import { InputError } from '../../../src/util/errors.js';
import { parsePmtaConfig } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';
import { queueMaxSmtpOut } from '../../../src/pmta/effective.js';
// @ts-expect-error plain .mjs asset without type declarations
import { loadConfig, domainSettings } from '../../../src/lab/assets/lib/config.mjs';

const ctx = { hostIndex: 2, hostName: 'lab-h3', address: '198.18.7.13', cores: 2 };

function modelOf(text: string) {
  return loadConfig('/etc/pmta/config', { read: () => text, list: () => [], exists: () => true });
}

describe('scenarios', () => {
  it('parses scenario lists and rejects unknown names with InputError', () => {
    expect(parseScenarioList('healthy, fd-limit,isp-limit')).toEqual(['healthy', 'fd-limit', 'isp-limit']);
    expect(() => parseScenarioList('healthy,disk-full')).toThrow(InputError);
    expect(() => parseScenarioList('healthy,disk-full')).toThrow(/"disk-full"/);
  });

  it.each(SCENARIO_NAMES)('%s: a config the simulator accepts, 4 source IPs, real domain blocks, a world file', (name) => {
    const setup = scenarioSetup(name, ctx);
    const model = modelOf(setup.files['/etc/pmta/config']);
    expect(model.vmtas.map((v: { sourceIp: string }) => v.sourceIp)).toEqual(sourceIps(2));
    // Every <domain> block, nested ones and macros expanded: the operator layouts write the same ISPs their own way.
    const blocks = model.domainBlocks.map((b: { name: string }) => b.name);
    const written = name.endsWith('-macros') ? ['gmail.com', 'googlemail.com', 'microsoft.rollup', '[*.]yahoo.com'] : ['gmail.com', 'outlook.com', 'yahoo.com'];
    expect(blocks).toEqual(expect.arrayContaining([...written, 'hold.test']));
    expect(model.httpAccess).toContainEqual({ cidr: '198.18.7.0/24', level: 'monitor' });
    expect(JSON.parse(setup.files['/etc/pmta-sim/world.json'])).toBeTypeOf('object');
    // No scenario name leaks into what a probe reads.
    expect(setup.files['/etc/pmta/config']).not.toContain(name === 'healthy' ? 'scenario' : name);
  });

  it.each(SCENARIO_NAMES)('%s, quiet: the same setup, a world without inbound mail or CPU burn', (name) => {
    const live = scenarioSetup(name, ctx);
    const quiet = scenarioSetup(name, { ...ctx, quiet: true });
    const { '/etc/pmta-sim/world.json': liveWorld, ...liveRest } = live.files;
    const { '/etc/pmta-sim/world.json': quietWorld, ...quietRest } = quiet.files;
    expect(quietRest).toEqual(liveRest);
    expect(quiet.sysctls).toEqual(live.sysctls);
    expect(quiet.spoolOnOwnDevice).toBe(live.spoolOnOwnDevice);
    const before = JSON.parse(liveWorld);
    const after = JSON.parse(quietWorld);
    expect(after.inbound.perMinute).toBe(0);
    expect(after.maxBusySeconds).toBe(0);
    // Everything else of the world (backlog, ISPs, reputation, inbound size/domains) is kept.
    expect({ ...after, inbound: { ...after.inbound, perMinute: null }, maxBusySeconds: null }).toEqual({
      ...before,
      inbound: { ...before.inbound, perMinute: null },
      maxBusySeconds: null,
    });
  });

  it('isp-limit-many-domains: gmail.com, hotmail.com and yahoo.com fall outside the first 20 domains in name order', () => {
    const setup = scenarioSetup('isp-limit-many-domains', ctx);
    const world = JSON.parse(setup.files['/etc/pmta-sim/world.json']);
    const queued = Object.keys(world.backlog).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(queued.length).toBeGreaterThan(200);
    for (const busy of ['gmail.com', 'hotmail.com', 'yahoo.com']) expect(queued.indexOf(busy)).toBeGreaterThanOrEqual(20);
    expect(domainSettings(modelOf(setup.files['/etc/pmta/config']), 'gmail.com', 'vmta1').maxSmtpOut).toBe(2);
    expect(world.isps['gmail.com'].deferRate).toBeGreaterThan(0.15);
  });

  it('sets each bottleneck up through real state', () => {
    expect(scenarioSetup('spool-io', ctx).spoolOnOwnDevice).toBe(true);
    expect(scenarioSetup('healthy', ctx).spoolOnOwnDevice).toBe(false);
    expect(scenarioSetup('fd-limit', ctx).files['/etc/systemd/system/pmta.service.d/limits.conf']).toMatch(/^\[Service\]\nLimitNOFILE=256\n/);
    expect(scenarioSetup('port-exhaustion', ctx).sysctls).toEqual({ 'net.ipv4.ip_local_port_range': '40000 40500' });
    expect(modelOf(scenarioSetup('thread-contention', ctx).files['/etc/pmta/config']).queueProcessingThreads).toBe(1);
    expect(modelOf(scenarioSetup('healthy', ctx).files['/etc/pmta/config']).queueProcessingThreads).toBeNull();
    const isp = modelOf(scenarioSetup('isp-limit', ctx).files['/etc/pmta/config']);
    expect(domainSettings(isp, 'gmail.com', 'vmta1').maxSmtpOut).toBe(2);
    const rep = JSON.parse(scenarioSetup('ip-reputation', ctx).files['/etc/pmta-sim/world.json']);
    expect(Object.keys(rep.ipReputation)).toHaveLength(2);
  });

  it('gives hosts distinct source IPs', () => {
    expect(new Set([0, 1, 2, 3].flatMap(sourceIps)).size).toBe(16);
  });

  // Two resolvers written apart (the audit's and the simulator's, both from UG §3.3/§10.17) agree on every scenario's limits.
  it.each(SCENARIO_NAMES)('%s: the audit and the simulator resolve the same max-smtp-out per queue and vmta', (name) => {
    const text = scenarioSetup(name, ctx).files['/etc/pmta/config'];
    const model = modelOf(text);
    const settings = effectiveSettings(parsePmtaConfig(text, '/etc/pmta/config').nodes);
    expect(settings.warnings).toEqual([]);
    for (const queue of ['gmail.com', 'googlemail.com', 'outlook.com', 'microsoft.rollup', 'yahoo.com', 'mail.yahoo.com', 'hold.test', 'example.net']) {
      for (const vmta of ['vmta1', 'vmta4']) {
        expect(queueMaxSmtpOut(settings, queue, vmta).value, `${queue} via ${vmta}`).toBe(domainSettings(model, queue, vmta).maxSmtpOut);
      }
    }
    if (name === 'isp-limit-macros') expect(queueMaxSmtpOut(settings, 'gmail.com', 'vmta2').value).toBe(2);
  });
});
