/**
 * `mtafleet approve PLANFILE --key KEY [--identity NAME]`: signs the plan's digest with an SSH
 * key, in the format of `ssh-keygen -Y sign -n mtafleet-plan` (the message is the 64 hex
 * characters of the plan's `digest`, no newline), and adds it to the plan file's `approvals`.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Approval } from '../approval/index.js';
import type { SigningKey } from '../transport/index.js';
import { InputError, InternalError } from '../util/errors.js';
import { safeLine } from '../util/sanitize.js';

interface ApproveCliOptions {
  key: string;
  identity?: string;
  passphraseFile?: string;
}

export function register(program: Command): void {
  program
    .command('approve')
    .description('sign a plan file with an SSH key (ssh-keygen -Y sign format, namespace mtafleet-plan); several approvers may sign')
    .argument('<planfile>', 'plan file written by `mtafleet plan --out`')
    .requiredOption('--key <file>', 'OpenSSH private key (ed25519, rsa or ecdsa; an encrypted key asks for its passphrase)')
    .option('--identity <name>', 'who signs, e.g. alice@example.com: must then be a principal of this key in the allowed signers file')
    .option('--passphrase-file <file>', 'read the key passphrase from the first line of this file (else $MTAFLEET_KEY_PASSPHRASE, else the terminal)')
    .action(async (planFile: string, opts: ApproveCliOptions) => {
      // Loaded when the command runs, not at start-up (issue 17).
      const [{ approvalMessage, keyFingerprint, parseSshsig, PLAN_NAMESPACE, signSshsig, verifySshsig }, { readPlanFile, writeApprovedPlanFile }, { countChanges }, { planHeadline }] = await Promise.all([
        import('../approval/index.js'),
        import('../engine/index.js'),
        import('../report/index.js'),
        import('./plan-headline.js'),
      ]);
      const doc = readPlanFile(planFile);
      // What is being signed, as `apply` will show it.
      process.stderr.write(planHeadline(planFile, doc));
      const keyFile = expandHome(opts.key);
      const key = await loadSigningKey(keyFile, opts.passphraseFile);
      const signature = signSshsig(approvalMessage(doc.digest), PLAN_NAMESPACE, key);
      const check = verifySshsig(parseSshsig(signature), approvalMessage(doc.digest), PLAN_NAMESPACE);
      if (!check.ok) throw new InternalError(`the signature just made does not verify: ${check.reason}`);
      const fp = keyFingerprint(key.publicBlob);
      const approval: Approval = {
        ...(opts.identity !== undefined ? { identity: opts.identity } : {}),
        key: fp,
        keyType: key.type,
        signedAt: new Date().toISOString(),
        signature,
      };
      // A key signs once: approving again replaces its earlier signature.
      const signatureKey = (a: Approval): string | undefined => {
        try {
          return keyFingerprint(parseSshsig(a.signature).publicKey);
        } catch {
          return undefined;
        }
      };
      const others = (doc.approvals ?? []).filter((a) => signatureKey(a) !== fp);
      const approvals = [...others, approval];
      writeApprovedPlanFile(planFile, doc, approvals);
      const n = countChanges(doc);
      process.stdout.write(
        `${safeLine(`approved ${planFile} (${n.changes} change(s) on ${n.hostsChanging} host(s), digest ${doc.digest})`)}\n` +
          `${safeLine(`  signed by ${opts.identity ?? '(no --identity)'} with ${key.type} key ${fp}; the plan now has ${approvals.length} approval(s)`)}\n`,
      );
    });
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** The key that made an approval's signature (its recorded `key` is not trusted). */
async function loadSigningKey(file: string, passphraseFile: string | undefined): Promise<SigningKey> {
  const [{ askPassphrase, SUPPORTED_KEY_TYPES }, { parsePrivateKey }] = await Promise.all([import('../approval/index.js'), import('../transport/index.js')]);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new InputError(`cannot read key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let result = parsePrivateKey(data);
  if ('needsPassphrase' in result) {
    const passphrase = passphraseFrom(passphraseFile) ?? (await askPassphrase(`Enter passphrase for ${file}: `));
    result = parsePrivateKey(data, passphrase);
  }
  if ('problem' in result) throw new InputError(`cannot use key ${file}: ${result.problem}`);
  if ('needsPassphrase' in result) throw new InputError(`cannot use key ${file}: it needs a passphrase`);
  if (!(SUPPORTED_KEY_TYPES as readonly string[]).includes(result.key.type)) {
    throw new InputError(`cannot use key ${file}: ${result.key.type} keys cannot sign plans (supported: ${SUPPORTED_KEY_TYPES.join(', ')})`);
  }
  return result.key;
}

function passphraseFrom(file: string | undefined): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return text.split(/\r?\n/)[0];
  }
  return process.env.MTAFLEET_KEY_PASSPHRASE;
}
