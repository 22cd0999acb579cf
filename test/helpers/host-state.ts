/**
 * "The host's state" as the fault and playbook tests compare it, read inside a lab host
 * without ssh: hashes of the PowerMTA config, every boot-time sysctl file, fstab and the
 * unit's drop-ins; the four runtime sysctls the playbooks change; whether PowerMTA runs; and
 * the mounts where a spool or data disk can live (/mnt, /var, /srv, /opt, /etc: the rest of a
 * lab host's mount table follows the machine's, which other tests change). Leftover backups
 * next to the config are not state (nothing reads them).
 */
import type { LabHandle } from './lab.js';

const SNAPSHOT = `cd /
for f in /etc/pmta/config /etc/sysctl.conf /etc/fstab /etc/sysctl.d/* /etc/systemd/system/pmta.service.d/*; do
  if [ -e "$f" ]; then sha256sum -- "$f"; else echo "absent $f"; fi
done
for k in net.ipv4.ip_local_port_range net.ipv4.tcp_fin_timeout net.ipv4.tcp_tw_reuse net.core.somaxconn; do
  printf '%s=%s\\n' "$k" "$(sysctl -n "$k" | tr '\\t' ' ')"
done
printf 'pmta=%s\\n' "$(systemctl is-active pmta)"
findmnt -rn -o TARGET,SOURCE,FSTYPE | grep -E '^/(mnt|var|srv|opt|etc)(/| )' | sort
`;

export async function hostState(lab: LabHandle, host: string): Promise<string> {
  const r = await lab.run(host, SNAPSHOT);
  if (r.stdout.trim() === '') throw new Error(`snapshot of ${host} failed: ${r.stderr}`);
  return r.stdout;
}
