import path from 'node:path';
import { parsePmtaConfig, type ConfigNode } from '../../pmta/config.js';
import { argv } from '../../transport/quote.js';
import type { HostConnection } from '../../transport/types.js';
import { OutputTooLargeError } from '../../util/errors.js';
import { hasWildcard, includeTarget, wildcardMatches, type ObservedConfig } from './tree.js';

/**
 * Reads the main PowerMTA config and every file it includes (wildcards expanded by listing the
 * directory, never by a remote shell glob over config text). Unreadable files are recorded as null.
 */
export async function observeConfig(host: HostConnection, mainFile: string, become?: boolean): Promise<ObservedConfig> {
  const config: ObservedConfig = { mainFile, files: {}, expansions: {} };
  const queue = [mainFile];
  while (queue.length > 0 && Object.keys(config.files).length < 200) {
    const file = queue.shift()!;
    if (file in config.files) continue;
    // An unreadable include is recorded as null; one too large to read whole fails the step.
    const bytes = await host.readFile(file, { become }).catch((err: unknown) => {
      if (err instanceof OutputTooLargeError) throw err;
      return null;
    });
    config.files[file] = bytes === null ? null : bytes.toString('utf8');
    if (bytes === null) continue;
    for (const inc of includesOf(parsePmtaConfig(config.files[file]!, file).nodes)) {
      const target = includeTarget(inc.pattern, file);
      if (!hasWildcard(target)) {
        queue.push(target);
        continue;
      }
      if (target in config.expansions) continue;
      const listing = await host.exec(argv('ls', '-1A', '--', path.dirname(target)), { become });
      const matched = listing.exitCode === 0 ? wildcardMatches(target, listing.stdout.split('\n').filter(Boolean)) : [];
      config.expansions[target] = matched;
      queue.push(...matched);
    }
  }
  return config;
}

function includesOf(nodes: ConfigNode[]): Array<Extract<ConfigNode, { type: 'include' }>> {
  return nodes.flatMap((n) => (n.type === 'include' ? [n] : n.type === 'block' ? includesOf(n.children) : []));
}
