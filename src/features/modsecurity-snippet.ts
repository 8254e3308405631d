/**
 * modsecurity-snippet (annotation and ConfigMap key): ModSecurity directives, never nginx ones. The text is
 * read the way ingress-nginx hands it to ModSecurity (inside an nginx single-quoted string, so `\"`, `\'`
 * and `\\` are unescaped first), split into directives, and each directive is checked against an allowlist
 * of names, arguments, variables, operators and actions. What passes is written again, one directive per
 * line from its checked tokens, into a state file that nginx.conf names with modsecurity_rules_file: the
 * text never reaches nginx.conf, and nothing in it names a file (no Include, no *FromFile operator, no
 * log or data path other than /dev/stdout and /dev/stderr), runs a program (exec, @inspectFile) or reads
 * the environment (ENV, setenv).
 *
 * ModSecurity refuses a whole config for one bad rule, and nginx with it, so the checks aim at "what passes
 * loads": rule ids must be unique and in 1-199999 (ModSecurity's range for local rules; the Core Rule Set
 * uses 900000-999999 and Portico's recommended configuration 200000-200099, and a duplicate id fails the load).
 */

export interface ModsecurityRules {
  /** The checked directives, one per line, as ModSecurity reads them. */
  lines: string[];
  /** The rule ids the directives define. */
  ids: number[];
}

const MAX_LENGTH = 16384;
const MAX_ID = 199999;

type Check = (args: string[]) => string | undefined;

const onOff = enumArg(['On', 'Off']);

/** Directive name (lower case) → its canonical spelling and the check of its arguments. */
const DIRECTIVES: ReadonlyMap<string, { name: string; check: Check }> = new Map(
  (
    [
      ['SecRuleEngine', enumArg(['On', 'Off', 'DetectionOnly'])],
      ['SecRequestBodyAccess', onOff],
      ['SecResponseBodyAccess', onOff],
      ['SecRequestBodyLimit', intArg(0, 1 << 30)],
      ['SecRequestBodyNoFilesLimit', intArg(0, 1 << 30)],
      ['SecResponseBodyLimit', intArg(0, 1 << 30)],
      ['SecRequestBodyLimitAction', enumArg(['Reject', 'ProcessPartial'])],
      ['SecResponseBodyLimitAction', enumArg(['Reject', 'ProcessPartial'])],
      ['SecResponseBodyMimeType', (a) => (a.length >= 1 && a.every((m) => /^[A-Za-z0-9.+-]+\/[A-Za-z0-9.+*-]+$/.test(m)) ? undefined : 'takes MIME types such as text/html')],
      ['SecPcreMatchLimit', intArg(1, 10_000_000)],
      ['SecPcreMatchLimitRecursion', intArg(1, 10_000_000)],
      ['SecCollectionTimeout', intArg(1, 86_400 * 30)],
      ['SecAuditEngine', enumArg(['On', 'Off', 'RelevantOnly'])],
      ['SecAuditLogParts', (a) => (a.length === 1 && /^[A-KZ]{1,12}$/.test(unquote(a[0]!)) ? undefined : 'takes part letters A-K and Z, e.g. ABIJDEFHZ')],
      ['SecAuditLogType', enumArg(['Serial'], 'Concurrent needs a storage directory, which a snippet may not name')],
      ['SecAuditLogFormat', enumArg(['JSON', 'Native'])],
      ['SecAuditLog', enumArg(['/dev/stdout', '/dev/stderr'], 'a snippet may not name a file')],
      ['SecAuditLogRelevantStatus', (a) => (a.length === 1 ? checkRegex(unquote(a[0]!)) : 'takes one regular expression')],
      ['SecRuleRemoveById', (a) => (a.length >= 1 && a.every((r) => /^\d{1,7}(-\d{1,7})?$/.test(r)) ? undefined : 'takes rule ids or id ranges (N-M)')],
      ['SecRuleRemoveByTag', (a) => (a.length === 1 ? checkText(unquote(a[0]!)) : 'takes one tag')],
      ['SecRuleRemoveByMsg', (a) => (a.length === 1 ? checkText(unquote(a[0]!)) : 'takes one message')],
      ['SecRuleUpdateTargetById', (a) => (a.length === 2 && /^\d{1,7}$/.test(a[0]!) ? checkVariables(unquote(a[1]!)) : 'takes a rule id and variables')],
      ['SecRuleUpdateTargetByTag', (a) => (a.length === 2 ? (checkText(unquote(a[0]!)) ?? checkVariables(unquote(a[1]!))) : 'takes a tag and variables')],
      ['SecRuleUpdateTargetByMsg', (a) => (a.length === 2 ? (checkText(unquote(a[0]!)) ?? checkVariables(unquote(a[1]!))) : 'takes a message and variables')],
      ['SecRuleUpdateActionById', (a) => (a.length === 2 && /^\d{1,7}$/.test(a[0]!) ? checkActions(unquote(a[1]!), { update: true }).reason : 'takes a rule id and actions')],
      ['SecMarker', (a) => (a.length === 1 && /^[A-Za-z0-9_.-]{1,64}$/.test(unquote(a[0]!)) ? undefined : 'takes one marker name (letters, digits, "_", ".", "-")')],
      // SecRule and SecAction are checked with their ids and chains by checkRule.
      ['SecRule', () => undefined],
      ['SecAction', () => undefined],
    ] as Array<[string, Check]>
  ).map(([name, check]) => [name.toLowerCase(), { name, check }]),
);

/** Collections and variables a rule may inspect. Not ENV (the controller's environment), not XML XPath selectors. */
const VARIABLES = new Set(
  (
    'ARGS ARGS_COMBINED_SIZE ARGS_GET ARGS_GET_NAMES ARGS_NAMES ARGS_POST ARGS_POST_NAMES AUTH_TYPE DURATION FILES FILES_COMBINED_SIZE ' +
    'FILES_NAMES FILES_SIZES FULL_REQUEST FULL_REQUEST_LENGTH GEO GLOBAL INBOUND_DATA_ERROR IP MATCHED_VAR MATCHED_VAR_NAME MATCHED_VARS ' +
    'MATCHED_VARS_NAMES MULTIPART_BOUNDARY_QUOTED MULTIPART_BOUNDARY_WHITESPACE MULTIPART_CRLF_LF_LINES MULTIPART_DATA_AFTER MULTIPART_DATA_BEFORE ' +
    'MULTIPART_FILE_LIMIT_EXCEEDED MULTIPART_HEADER_FOLDING MULTIPART_INVALID_HEADER_FOLDING MULTIPART_INVALID_PART MULTIPART_INVALID_QUOTING ' +
    'MULTIPART_LF_LINE MULTIPART_MISSING_SEMICOLON MULTIPART_STRICT_ERROR MULTIPART_UNMATCHED_BOUNDARY OUTBOUND_DATA_ERROR QUERY_STRING ' +
    'REMOTE_ADDR REMOTE_HOST REMOTE_PORT REMOTE_USER REQBODY_ERROR REQBODY_ERROR_MSG REQBODY_PROCESSOR REQUEST_BASENAME REQUEST_BODY ' +
    'REQUEST_BODY_LENGTH REQUEST_COOKIES REQUEST_COOKIES_NAMES REQUEST_FILENAME REQUEST_HEADERS REQUEST_HEADERS_NAMES REQUEST_LINE REQUEST_METHOD ' +
    'REQUEST_PROTOCOL REQUEST_URI REQUEST_URI_RAW RESOURCE RESPONSE_BODY RESPONSE_CONTENT_LENGTH RESPONSE_CONTENT_TYPE RESPONSE_HEADERS ' +
    'RESPONSE_HEADERS_NAMES RESPONSE_PROTOCOL RESPONSE_STATUS RULE SERVER_ADDR SERVER_NAME SERVER_PORT SESSION SESSIONID STATUS_LINE TIME ' +
    'TIME_DAY TIME_EPOCH TIME_HOUR TIME_MIN TIME_MON TIME_SEC TIME_WDAY TIME_YEAR TX UNIQUE_ID URLENCODED_ERROR USER USERID XML'
  ).split(' '),
);

/** Operators that only compare: none reads a file (@pmFromFile, @ipMatchFromFile), runs one (@inspectFile) or asks the network (@rbl). */
const OPERATORS: ReadonlyMap<string, 'none' | 'text' | 'regex' | 'number' | 'ips' | 'bytes'> = new Map([
  ['rx', 'regex'],
  ['pm', 'text'],
  ['streq', 'text'],
  ['strmatch', 'text'],
  ['contains', 'text'],
  ['containsword', 'text'],
  ['beginswith', 'text'],
  ['endswith', 'text'],
  ['within', 'text'],
  ['eq', 'number'],
  ['ge', 'number'],
  ['gt', 'number'],
  ['le', 'number'],
  ['lt', 'number'],
  ['ipmatch', 'ips'],
  ['validatebyterange', 'bytes'],
  ['detectsqli', 'none'],
  ['detectxss', 'none'],
  ['validateurlencoding', 'none'],
  ['validateutf8encoding', 'none'],
  ['unconditionalmatch', 'none'],
  ['nomatch', 'none'],
]);

const TRANSFORMATIONS = new Set(
  (
    'none lowercase uppercase urlDecode urlDecodeUni urlEncode htmlEntityDecode jsDecode cssDecode base64Decode base64DecodeExt base64Encode ' +
    'hexDecode hexEncode sqlHexDecode escapeSeqDecode compressWhitespace removeWhitespace removeNulls replaceNulls removeComments ' +
    'removeCommentsChar replaceComments normalizePath normalisePath normalizePathWin normalisePathWin cmdLine trim trimLeft trimRight ' +
    'length md5 sha1 utf8toUnicode parityEven7bit parityOdd7bit parityZero7bit'
  )
    .split(' ')
    .map((t) => t.toLowerCase()),
);

/** ctl: targets a rule may change for its own transaction, and the values each takes. */
const CTL: ReadonlyMap<string, RegExp> = new Map([
  ['ruleengine', /^(On|Off|DetectionOnly)$/],
  ['ruleremovebyid', /^\d{1,7}(-\d{1,7})?$/],
  ['ruleremovebytag', /^[A-Za-z0-9_.\/:-]{1,128}$/],
  ['ruleremovetargetbyid', /^\d{1,7};[A-Za-z_]+(:[A-Za-z0-9_.-]+)?$/],
  ['ruleremovetargetbytag', /^[A-Za-z0-9_.\/:-]{1,128};[A-Za-z_]+(:[A-Za-z0-9_.-]+)?$/],
  ['requestbodyaccess', /^(On|Off|on|off|true|false)$/],
  ['requestbodyprocessor', /^(URLENCODED|MULTIPART|XML|JSON)$/],
  ['forcerequestbodyvariable', /^(On|Off|on|off)$/],
  ['auditengine', /^(On|Off|RelevantOnly)$/],
  ['auditlogparts', /^[+-]?[A-KZ]{1,12}$/],
]);

const SEVERITIES = /^([0-7]|EMERGENCY|ALERT|CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG)$/i;

/** Action name (lower case) → how its value is checked; `flag` actions take none. */
const ACTIONS: ReadonlyMap<string, 'flag' | 'id' | 'phase' | 'status' | 'text' | 'severity' | 't' | 'ctl' | 'setvar' | 'expirevar' | 'skip' | 'marker' | 'redirect'> = new Map([
  ['id', 'id'],
  ['phase', 'phase'],
  ['chain', 'flag'],
  ['deny', 'flag'],
  ['drop', 'flag'],
  ['block', 'flag'],
  ['pass', 'flag'],
  ['allow', 'flag'],
  ['log', 'flag'],
  ['nolog', 'flag'],
  ['auditlog', 'flag'],
  ['noauditlog', 'flag'],
  ['capture', 'flag'],
  ['multimatch', 'flag'],
  ['status', 'status'],
  ['msg', 'text'],
  ['logdata', 'text'],
  ['tag', 'text'],
  ['rev', 'text'],
  ['ver', 'text'],
  ['maturity', 'text'],
  ['accuracy', 'text'],
  ['severity', 'severity'],
  ['t', 't'],
  ['ctl', 'ctl'],
  ['setvar', 'setvar'],
  ['expirevar', 'expirevar'],
  ['skip', 'skip'],
  ['skipafter', 'marker'],
  ['redirect', 'redirect'],
]);

const DISRUPTIVE = new Set(['deny', 'drop', 'block', 'pass', 'allow', 'redirect']);

/** The checked directives of a snippet, or a reason naming the first directive refused (by its line). */
export function parseModsecuritySnippet(text: string, reservedIds: ReadonlySet<number> = new Set()): ModsecurityRules | { reason: string } {
  if (text.length > MAX_LENGTH) return { reason: `longer than ${MAX_LENGTH} characters` };
  const bad = /[^\x20-\x7e\n\t\r]/.exec(text);
  if (bad) return { reason: `character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed` };
  const lines: string[] = [];
  const ids: number[] = [];
  let chainOpen = false;
  for (const { line, number } of logicalLines(nginxUnescape(text))) {
    const fail = (why: string) => ({ reason: `line ${number}: ${why}` });
    const tokens = tokenize(line);
    if ('reason' in tokens) return fail(tokens.reason);
    const [name, ...args] = tokens.tokens as [string, ...string[]];
    const spec = DIRECTIVES.get(name.toLowerCase());
    if (!spec) return fail(`${JSON.stringify(name.slice(0, 40))} is not a directive a modsecurity-snippet may use`);
    if (chainOpen && spec.name !== 'SecRule') return fail(`the chained rule before it needs a SecRule to follow, not ${spec.name}`);
    const reason = spec.check(args);
    if (reason) return fail(`${spec.name} ${reason}`);
    if (spec.name === 'SecRule' || spec.name === 'SecAction') {
      const rule = checkRule(spec.name, args, chainOpen);
      if ('reason' in rule) return fail(rule.reason);
      if (rule.id !== undefined) {
        if (ids.includes(rule.id)) return fail(`rule id ${rule.id} is used twice`);
        if (reservedIds.has(rule.id)) return fail(`rule id ${rule.id} is already used by the ConfigMap's modsecurity-snippet`);
        ids.push(rule.id);
      }
      chainOpen = rule.chain;
    }
    lines.push([spec.name, ...args].join(' '));
  }
  if (chainOpen) return { reason: 'the last rule is chained (chain) but no rule follows' };
  return { lines, ids };
}

/** What ingress-nginx's nginx.conf does to the text: it sits in a single-quoted nginx string. */
function nginxUnescape(text: string): string {
  return text.replace(/\\(["'\\])/g, '$1');
}

/** Lines joined at a trailing backslash (ModSecurity's continuation), without blank and comment lines. */
function logicalLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  const raw = text.replace(/\r\n/g, '\n').split('\n');
  let pending: { line: string; number: number } | undefined;
  raw.forEach((l, i) => {
    const continues = /\\\s*$/.test(l);
    const part = continues ? l.replace(/\\\s*$/, '') : l;
    pending = pending ? { line: `${pending.line} ${part.trim()}`, number: pending.number } : { line: part.trim(), number: i + 1 };
    if (continues) return;
    if (pending.line !== '' && !pending.line.startsWith('#')) out.push(pending);
    pending = undefined;
  });
  if (pending && pending.line !== '' && !pending.line.startsWith('#')) out.push(pending);
  return out;
}

/** Splits a directive into its words: bare words, or double-quoted strings kept with their quotes and escapes. */
function tokenize(line: string): { tokens: string[] } | { reason: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) return { reason: 'a quoted argument is not closed' };
      tokens.push(line.slice(i, j + 1));
      i = j + 1;
      if (i < line.length && line[i] !== ' ' && line[i] !== '\t') return { reason: 'a quoted argument must be followed by a space' };
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') {
      if (line[j] === '"' || line[j] === "'" || line[j] === '\\') return { reason: 'quotes and backslashes are allowed only inside a double-quoted argument' };
      j++;
    }
    tokens.push(line.slice(i, j));
    i = j;
  }
  if (tokens.length > 8) return { reason: 'too many arguments' };
  return { tokens };
}

function unquote(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/\\"/g, '"') : token;
}

function enumArg(values: readonly string[], why?: string): Check {
  return (args) => (args.length === 1 && values.includes(unquote(args[0]!)) ? undefined : `takes ${values.map((v) => JSON.stringify(v)).join(' or ')}${why ? ` (${why})` : ''}`);
}

function intArg(min: number, max: number): Check {
  return (args) => (args.length === 1 && /^\d{1,10}$/.test(args[0]!) && Number(args[0]) >= min && Number(args[0]) <= max ? undefined : `takes a whole number from ${min} to ${max}`);
}

/** Free text (a tag, a message): printable, no macro that could expand the environment. */
function checkText(value: string): string | undefined {
  if (value.length > 512) return 'a text longer than 512 characters';
  if (/%\{\s*env\./i.test(value)) return 'a text may not expand ENV';
  return undefined;
}

/** A regular expression ModSecurity's PCRE compiles: checked by compiling it (inline flags such as (?i) first removed). */
function checkRegex(pattern: string): string | undefined {
  if (pattern.length > 4096) return 'a regular expression longer than 4096 characters';
  try {
    new RegExp(pattern.replace(/^\(\?[imsx]+\)/, ''));
  } catch {
    return `${JSON.stringify(pattern.slice(0, 60))} is not a valid regular expression`;
  }
  return undefined;
}

/** `VAR|!VAR:selector|&VAR`, each from the allowlist, selectors as names or /regex/. */
function checkVariables(value: string): string | undefined {
  for (const part of value.split('|')) {
    const m = /^([!&]?)([A-Za-z_]+)(?::(.+))?$/.exec(part);
    if (!m) return `${JSON.stringify(part.slice(0, 40))} is not a variable`;
    if (!VARIABLES.has(m[2]!.toUpperCase())) return `variable ${m[2]} is not allowed`;
    const selector = m[3];
    if (selector === undefined) continue;
    if (m[2]!.toUpperCase() === 'XML') return 'XML variables take no selector in a snippet';
    if (selector.startsWith('/') && selector.endsWith('/') && selector.length > 2) {
      const reason = checkRegex(selector.slice(1, -1));
      if (reason) return reason;
    } else if (!/^[A-Za-z0-9_.\-]{1,128}$/.test(selector.replace(/^'(.*)'$/, '$1'))) {
      return `selector ${JSON.stringify(selector.slice(0, 40))} must be a name (letters, digits, "_", ".", "-") or /regex/`;
    }
  }
  return undefined;
}

/** The operator argument of a SecRule: `[!]@name arg`, or a bare regex (@rx). */
function checkOperator(value: string): string | undefined {
  const m = /^(!?)@([A-Za-z0-9]+)(?:\s+([\s\S]*))?$/.exec(value);
  const [name, arg] = m ? [m[2]!.toLowerCase(), m[3] ?? ''] : ['rx', value.replace(/^!/, '')];
  const kind = OPERATORS.get(name);
  if (!kind) return `operator @${m?.[2] ?? name} is not allowed (only comparisons: no file, program or network operators)`;
  switch (kind) {
    case 'none':
      return arg.trim() === '' ? undefined : `@${name} takes no argument`;
    case 'regex':
      return checkRegex(arg);
    case 'text':
      return arg.trim() === '' ? `@${name} needs an argument` : checkText(arg);
    case 'number':
      return /^(\d{1,10}|%\{[A-Za-z_.]{1,64}\})$/.test(arg.trim()) ? undefined : `@${name} takes a number or a %{tx.name} macro`;
    case 'ips':
      return arg.split(/[,\s]+/).every((ip) => /^[0-9A-Fa-f:.]{2,45}(\/\d{1,3})?$/.test(ip)) ? undefined : '@ipMatch takes IP addresses and CIDR ranges';
    case 'bytes':
      return /^\d{1,3}(-\d{1,3})?(,\s*\d{1,3}(-\d{1,3})?)*$/.test(arg.trim()) ? undefined : '@validateByteRange takes byte values and ranges';
  }
}

/** Splits an action list at the commas outside single quotes. */
function splitActions(value: string): string[] | undefined {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of value) {
    if (c === "'") quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (quoted) return undefined;
  out.push(current.trim());
  return out.filter((a) => a !== '');
}

function checkActions(value: string, opts: { update?: boolean } = {}): { reason?: string; id?: number; chain: boolean; phase: boolean; disruptive: boolean } {
  const actions = splitActions(value);
  const result = { chain: false, phase: false, disruptive: false } as { reason?: string; id?: number; chain: boolean; phase: boolean; disruptive: boolean };
  if (!actions) return { ...result, reason: 'a quote in the actions is not closed' };
  for (const action of actions) {
    const colon = action.indexOf(':');
    const name = (colon < 0 ? action : action.slice(0, colon)).trim().toLowerCase();
    const raw = colon < 0 ? undefined : action.slice(colon + 1).trim();
    const v = raw?.replace(/^'([\s\S]*)'$/, '$1');
    const kind = ACTIONS.get(name);
    const fail = (why: string) => ({ ...result, reason: `action ${JSON.stringify(action.slice(0, 40))} ${why}` });
    if (!kind) return fail('is not allowed (no exec, setenv, proxy or other action that reaches outside the rule)');
    if (kind === 'flag' ? v !== undefined : v === undefined || v === '') return fail(kind === 'flag' ? 'takes no value' : 'needs a value');
    if (DISRUPTIVE.has(name)) result.disruptive = true;
    switch (kind) {
      case 'id': {
        if (opts.update) return fail('cannot be changed');
        if (!/^\d{1,7}$/.test(v!) || Number(v) < 1 || Number(v) > MAX_ID) return fail(`must be from 1 to ${MAX_ID} (the range ModSecurity leaves to local rules)`);
        result.id = Number(v);
        break;
      }
      case 'phase':
        if (!/^([1-5]|request|response|logging)$/.test(v!)) return fail('must be 1 to 5, request, response or logging');
        result.phase = true;
        break;
      case 'status':
        if (!/^[1-5]\d\d$/.test(v!)) return fail('must be an HTTP status');
        break;
      case 'text': {
        const reason = checkText(v!);
        if (reason) return fail(reason);
        break;
      }
      case 'severity':
        if (!SEVERITIES.test(v!)) return fail('must be 0 to 7 or a severity name');
        break;
      case 't':
        if (!TRANSFORMATIONS.has(v!.toLowerCase())) return fail('names no transformation ModSecurity has');
        break;
      case 'ctl': {
        const [target, ...rest] = v!.split('=');
        const allowed = CTL.get((target ?? '').toLowerCase());
        if (!allowed || !allowed.test(rest.join('='))) return fail(`may change only ${[...CTL.keys()].join(', ')}, with their values`);
        break;
      }
      case 'setvar':
        if (!/^!?(tx|ip|global|session|user)\.[A-Za-z0-9_.\-]{1,64}(=[+-]?[A-Za-z0-9_.%{}\-]{0,128})?$/i.test(v!)) return fail('must be COLLECTION.name[=value] on tx, ip, global, session or user');
        break;
      case 'expirevar':
        if (!/^(tx|ip|global|session|user)\.[A-Za-z0-9_.\-]{1,64}=\d{1,7}$/i.test(v!)) return fail('must be COLLECTION.name=seconds');
        break;
      case 'skip':
        if (!/^\d{1,4}$/.test(v!)) return fail('must be a number of rules');
        break;
      case 'marker':
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v!)) return fail('must be a marker name');
        break;
      case 'redirect':
        if (!/^https?:\/\/[A-Za-z0-9._~:/?#@!$&()*+,;=%-]{1,512}$/.test(v!)) return fail('must be an http(s) URL');
        break;
      case 'flag':
        if (name === 'chain') result.chain = true;
        break;
    }
  }
  return result;
}

/** SecRule VARIABLES OPERATOR [ACTIONS] or SecAction ACTIONS, with the id rules ModSecurity enforces at load. */
function checkRule(directive: 'SecRule' | 'SecAction', args: string[], chained: boolean): { id: number | undefined; chain: boolean } | { reason: string } {
  let actions: string;
  if (directive === 'SecRule') {
    // libmodsecurity 3 wants the actions even on a chained rule ("t:none" when it needs none).
    if (args.length !== 3) return { reason: 'SecRule takes VARIABLES "OPERATOR" "ACTIONS"' };
    const reason = checkVariables(unquote(args[0]!)) ?? checkOperator(unquote(args[1]!));
    if (reason) return { reason: `SecRule: ${reason}` };
    actions = unquote(args[2]!);
  } else {
    if (args.length !== 1) return { reason: 'SecAction takes "ACTIONS"' };
    actions = unquote(args[0]!);
  }
  const checked = checkActions(actions);
  if (checked.reason) return { reason: `${directive}: ${checked.reason}` };
  if (chained) {
    if (checked.id !== undefined || checked.phase || checked.disruptive) return { reason: `a chained ${directive} may not set id, phase or a disruptive action` };
  } else if (checked.id === undefined) return { reason: `${directive} needs an id action` };
  if (directive === 'SecAction' && checked.chain) return { reason: 'SecAction cannot be chained' };
  return { id: checked.id, chain: checked.chain };
}
