import { contentAddressedPath } from '../model/state-files.js';
import { checkNamespace, checkObjectName, describeBadChar, objectFileStem } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

/**
 * auth-type: basic with auth-secret (`name` or `namespace/name`), auth-secret-type (auth-file: key `auth`
 * holding htpasswd lines; auth-map: one key per user, the value its hash) and auth-realm. The credentials
 * become a state file read by nginx workers (unusable lines left out: see parse). A Secret that is missing closes the
 * Ingress's paths with 503: never an open door.
 */
export interface AuthBasicAnnotation {
  enabled: boolean;
  realm: string | undefined;
  /** Absolute path of the htpasswd file, when the Secret was usable. */
  userFile: string | undefined;
  /** Why the paths answer 503 instead (missing or invalid Secret). */
  unavailable: string | undefined;
}

const DEFAULT_REALM = 'Authentication Required';

const OFF: AuthBasicAnnotation = { enabled: false, realm: undefined, userFile: undefined, unavailable: undefined };

/** Words and punctuation: no quotes, backslash, `$`, `;`, braces, `#` or `/`. */
const REALM_RE = /^[A-Za-z0-9 _.,:@()!?+=*&%'-]*$/;
/** An htpasswd user: printable ASCII, no ':' and no whitespace. */
const USER_RE = /^[\x21-\x39\x3b-\x7e]{1,255}$/;
/** A password hash: {SHA}base64, $apr1$..., crypt, $5$/$6$...: printable ASCII without whitespace or ':'. */
const HASH_RE = /^[\x21-\x39\x3b-\x7e]{1,1024}$/;

function decode(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

export function checkRealm(value: string): string | undefined {
  if (value.length > 256) return 'longer than 256 characters';
  if (!REALM_RE.test(value)) return describeBadChar(value);
  return undefined;
}

/** Parses `namespace/name` or `name` (in the Ingress's namespace); throws for an invalid reference. */
export function secretRef(key: string, value: string, namespace: string): { namespace: string; name: string } {
  const parts = value.trim().split('/');
  if (parts.length > 2) throw new AnnotationError(key, 'must be NAME or NAMESPACE/NAME');
  const [ns, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [namespace, parts[0]!];
  const reason = checkNamespace(ns) ?? checkObjectName(name);
  if (reason) throw new AnnotationError(key, `${JSON.stringify(value)}: ${reason}`);
  return { namespace: ns, name };
}

/**
 * Validated `user:hash` lines, or a reason. `where` names an entry by its place (a line number, a key
 * name Kubernetes allows), never by its text: the reason reaches logs and Events, and Secret text must not.
 */
function htpasswdLines(entries: Array<[string, string]>, where: (index: number) => string): { lines: string[]; unusable: string[] } {
  const lines: string[] = [];
  const unusable: string[] = [];
  for (const [i, [user, hash]] of entries.entries()) {
    if (!USER_RE.test(user)) unusable.push(`${where(i)}: the user name is not a valid htpasswd user name`);
    else if (!HASH_RE.test(hash)) unusable.push(`${where(i)}: the password hash is not valid`);
    else lines.push(`${user}:${hash}`);
  }
  return { lines, unusable };
}

/** A Secret data key as Kubernetes allows it (kubectl describe shows keys, never values). */
const SECRET_KEY_RE = /^[-._a-zA-Z0-9]{1,253}$/;

declare module '../model/types.js' {
  interface FeatureValues {
    authBasic: AuthBasicAnnotation;
  }
}

export const authBasicFeature: Feature<AuthBasicAnnotation> = {
  name: 'auth-basic',
  keys: ['auth-type', 'auth-secret', 'auth-secret-type', 'auth-realm'],
  parse(input) {
    const type = input.get('auth-type');
    if (type === undefined) {
      if (input.get('auth-secret') !== undefined) input.warn('auth-secret is ignored without auth-type: basic');
      return OFF;
    }
    if (type.trim() === 'digest') throw new AnnotationError('auth-type', 'digest is not supported by open-source nginx; use basic');
    if (type.trim() !== 'basic') throw new AnnotationError('auth-type', 'must be "basic"');
    const realmRaw = input.get('auth-realm');
    if (realmRaw !== undefined) {
      const reason = checkRealm(realmRaw);
      if (reason) throw new AnnotationError('auth-realm', reason);
    }
    const realm = realmRaw === undefined || realmRaw.trim() === '' ? DEFAULT_REALM : realmRaw;
    const secretType = (input.get('auth-secret-type') ?? 'auth-file').trim();
    if (secretType !== 'auth-file' && secretType !== 'auth-map') {
      throw new AnnotationError('auth-secret-type', 'must be "auth-file" or "auth-map"');
    }
    const secretRaw = input.get('auth-secret');
    if (secretRaw === undefined) throw new AnnotationError('auth-secret', 'is required with auth-type: basic');
    const ref = secretRef('auth-secret', secretRaw, input.ref.namespace);
    const closed = (why: string): AuthBasicAnnotation => {
      input.warn(`auth-secret: ${why}; its paths answer 503`);
      return { enabled: true, realm, userFile: undefined, unavailable: why };
    };
    const secret = input.snapshot.secrets.get(`${ref.namespace}/${ref.name}`);
    if (!secret) return closed(`Secret ${ref.namespace}/${ref.name} not found`);
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = decode(v) ?? '';
    for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
    let entries: Array<[string, string]>;
    let where: (index: number) => string;
    // An unusable line is left out, never written (its text could be anything): as in ingress-nginx, where
    // nginx finds no usable password in it, nobody signs in with it and the others still can; with no usable
    // line at all every request answers 401 (e2e annotations/auth.go, Secret "auth": "foo:").
    const unusable: string[] = [];
    if (secretType === 'auth-map') {
      entries = Object.entries(data).sort(([a], [b]) => a.localeCompare(b)).map(([u, h]) => [u, h.trim()]);
      where = (i) => (SECRET_KEY_RE.test(entries[i]![0]) ? `key ${JSON.stringify(entries[i]![0])}` : `key ${i + 1} (in name order)`);
    } else {
      const auth = data.auth;
      if (auth === undefined) return closed(`Secret ${ref.namespace}/${ref.name} has no "auth" key`);
      entries = [];
      const lineNumbers: number[] = [];
      for (const [n, raw] of auth.split('\n').entries()) {
        const line = raw.replace(/\r$/, '').trim();
        if (line === '' || line.startsWith('#')) continue;
        const colon = line.indexOf(':');
        if (colon <= 0) {
          unusable.push(`line ${n + 1} of "auth" is not USER:HASH`);
          continue;
        }
        entries.push([line.slice(0, colon), line.slice(colon + 1)]);
        lineNumbers.push(n + 1);
      }
      where = (i) => `line ${lineNumbers[i]} of "auth"`;
    }
    const { lines, unusable: badEntries } = htpasswdLines(entries, where);
    for (const why of [...unusable, ...badEntries]) input.warn(`auth-secret: Secret ${ref.namespace}/${ref.name}: ${why}; the line is ignored (nobody signs in with it)`);
    if (lines.length === 0) input.warn(`auth-secret: Secret ${ref.namespace}/${ref.name} holds no usable user; its paths answer 401`);
    // Namespace and name are validated DNS names (no "_" or "/"), so the file stays in auth/ (long ones
    // shortened); the content
    // digest in its name keeps the file of the config in force unchanged while a new one is checked.
    const content = `${lines.join('\n')}\n`;
    const path = contentAddressedPath('auth', objectFileStem(input.ref.namespace, input.ref.name), 'htpasswd', content, input.options.fileNameKey);
    input.addFile({ path, content, mode: 0o600, readByWorkers: true });
    return { enabled: true, realm, userFile: `${input.options.stateDir.replace(/\/+$/, '')}/${path}`, unavailable: undefined };
  },
};
