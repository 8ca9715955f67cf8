import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { AuditCheckpointRecord } from '../store/audit-checkpoint-repository.ts';
import { canonicalJson } from '../store/canonical-json.ts';

/** An Ed25519 key pair that signs audit checkpoints. */
export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: string;
  /** The public key, SPKI DER in base64 (as stored with each checkpoint). */
  publicKeyBase64: string;
}

/**
 * Reads an Ed25519 private key: PEM (`-----BEGIN PRIVATE KEY-----`, PKCS #8, as
 * `openssl genpkey -algorithm ed25519` writes it) or the same DER in base64 (one line, for an
 * environment variable).
 *
 * @throws Error saying what is wrong, never echoing the key
 */
export function parseAuditSigningKey(text: string): AuditSigningKey {
  const trimmed = text.trim();
  let privateKey: KeyObject;
  try {
    privateKey = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey(trimmed)
      : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('not a private key: expected PKCS #8 PEM or its DER in base64');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`an ${privateKey.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, ...describePublicKey(publicKey) };
}

/** Reads an Ed25519 public key (PEM, or SPKI DER in base64), to pin the checkpoints' signer. */
export function parseAuditPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('not a public key: expected SPKI PEM or its DER in base64');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('expected an Ed25519 public key');
  return key;
}

/** Key id and base64 form of a public key. */
export function describePublicKey(publicKey: KeyObject): {
  keyId: string;
  publicKeyBase64: string;
} {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKeyBase64: der.toString('base64'),
  };
}

/**
 * The bytes a checkpoint's signature covers: the canonical JSON (UTF-8) of
 * `{"at":…,"hash":"…","keyId":"…","seq":…,"type":"revsync.audit.checkpoint","v":1}`.
 */
export function checkpointSigningInput(checkpoint: {
  seq: number;
  hash: string;
  at: number;
  keyId: string;
}): string {
  return canonicalJson({
    type: 'revsync.audit.checkpoint',
    v: 1,
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at: checkpoint.at,
    keyId: checkpoint.keyId,
  });
}

/** Signs "the chain had `hash` at position `seq`, at time `at`". */
export function signCheckpoint(
  key: AuditSigningKey,
  point: { seq: number; hash: string; at: number },
): AuditCheckpointRecord {
  const unsigned = { ...point, keyId: key.keyId };
  const signature = sign(null, Buffer.from(checkpointSigningInput(unsigned)), key.privateKey);
  return { ...unsigned, publicKey: key.publicKeyBase64, signature: signature.toString('base64') };
}

/** Why a checkpoint's signature does not hold, or undefined when it does. */
export function checkpointSignatureProblem(
  checkpoint: AuditCheckpointRecord,
  trusted?: KeyObject,
): string | undefined {
  let signer: KeyObject;
  try {
    signer = parseAuditPublicKey(checkpoint.publicKey);
  } catch (caught) {
    return `its public key is unreadable (${caught instanceof Error ? caught.message : String(caught)})`;
  }
  const described = describePublicKey(signer);
  if (trusted) {
    const pinned = describePublicKey(trusted);
    if (pinned.publicKeyBase64 !== described.publicKeyBase64) {
      return `it is signed by key ${described.keyId}, not by the trusted key ${pinned.keyId}`;
    }
  }
  if (checkpoint.keyId !== described.keyId) return `its key id does not match its public key`;
  let valid = false;
  try {
    valid = verify(
      null,
      Buffer.from(checkpointSigningInput(checkpoint)),
      signer,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  return valid ? undefined : 'its signature does not match its contents';
}
