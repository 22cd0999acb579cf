/** Signed plan approvals: SSHSIG signatures, allowed_signers files, the apply gate. */
export { PLAN_NAMESPACE, approvalMessage, judgeApprovals, requireApprovals, type Approval, type ApprovalVerdict, type Signer } from './approvals.js';
export { loadAllowedSigners, parseAllowedSigners, type AllowedSigner } from './allowed-signers.js';
export { parseSshsig, signSshsig, verifySshsig, type SshSig, type SshsigVerdict } from './sshsig.js';
export { keyFingerprint, parsePublicKeyBlob, SUPPORTED_KEY_TYPES } from './ssh-public-key.js';
export { askPassphrase } from './passphrase.js';
