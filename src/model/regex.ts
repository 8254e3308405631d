/**
 * The regular expressions Ingress authors may hand to nginx (regex paths, canary-by-header-pattern), in
 * one small grammar that PCRE2 (Debian's nginx 1.22) and this module read the same way:
 *
 *   literals        letters, digits and the dialect's punctuation, that too escaped; any of .^$|?*+()[]{}\/- escaped
 *   .               any byte but a newline
 *   classes         [abc] [^a-z0-9] with ranges, \d \w \s and escaped punctuation inside
 *   escapes         \d \D \w \W \s \S (ASCII meanings, PCRE2 without UCP)
 *   groups          (...) and (?:...)
 *   quantifiers     * + ? {n} {n,} {n,m} (n, m <= 255), each optionally lazy (a trailing ?)
 *   anchors         ^ $
 *   alternation     a|b
 *
 * Everything else is refused with a reason: back-references (\1), \u, \x, \b, lookarounds, named groups,
 * inline flags, possessive quantifiers, POSIX classes, an unescaped { ] or } that PCRE2 versions read
 * differently. The controller never runs an author's regex with a backtracking engine: `compileRegex`
 * builds a Thompson NFA from the parsed pattern, whose `test` is linear in the subject.
 *
 * `backtrackingRisk` refuses the patterns whose backtracking in nginx's PCRE2 grows faster than linearly
 * with the request: measured with nginx 1.22, `^/y(a|aa)+$` on a 32-byte URI and `^/a.*b.*c` on an 8 KB
 * one each cost a worker about 200 ms and end in a 500 (PCRE2's match limit of 10 million steps).
 */

/** A set of bytes (0-255), as eight 32-bit words. */
export class ByteSet {
  readonly words = new Uint32Array(8);

  static of(...codes: number[]): ByteSet {
    const s = new ByteSet();
    for (const c of codes) s.add(c);
    return s;
  }

  static range(lo: number, hi: number): ByteSet {
    const s = new ByteSet();
    for (let c = lo; c <= hi; c++) s.add(c);
    return s;
  }

  add(code: number): void {
    this.words[code >>> 5]! |= 1 << (code & 31);
  }

  has(code: number): boolean {
    return (this.words[code >>> 5]! & (1 << (code & 31))) !== 0;
  }

  union(other: ByteSet): ByteSet {
    const s = new ByteSet();
    for (let i = 0; i < 8; i++) s.words[i] = this.words[i]! | other.words[i]!;
    return s;
  }

  intersects(other: ByteSet): boolean {
    for (let i = 0; i < 8; i++) if ((this.words[i]! & other.words[i]!) !== 0) return true;
    return false;
  }

  complement(): ByteSet {
    const s = new ByteSet();
    for (let i = 0; i < 8; i++) s.words[i] = ~this.words[i]! >>> 0;
    return s;
  }

  isEmpty(): boolean {
    return this.words.every((w) => w === 0);
  }

  /** Both cases of every ASCII letter in the set (PCRE2_CASELESS without UTF). */
  caseFolded(): ByteSet {
    const s = this.union(new ByteSet());
    for (let c = 65; c <= 90; c++) {
      if (this.has(c) || this.has(c + 32)) {
        s.add(c);
        s.add(c + 32);
      }
    }
    return s;
  }
}

export type RegexNode =
  | { kind: 'empty' }
  | { kind: 'bytes'; set: ByteSet }
  | { kind: 'start' }
  | { kind: 'end' }
  | { kind: 'seq'; items: RegexNode[] }
  | { kind: 'alt'; branches: RegexNode[] }
  | { kind: 'group'; body: RegexNode }
  | { kind: 'repeat'; body: RegexNode; min: number; max: number };

export interface RegexDialect {
  /** Characters besides letters and digits that stand for themselves unescaped. */
  literals: string;
  /** nginx `~*` or `(?i)`: letters match either case. */
  caseless: boolean;
  /** What nginx writes in front of the author's text (`^` for paths); offsets in reasons are the author's. */
  prefix: string;
}

/** A regex path as nginx reads it: `location ~* "^PATH"` and `rewrite "(?i)^PATH"`. */
export const PATH_DIALECT: RegexDialect = { literals: '-_~%!&,=:@/', caseless: true, prefix: '^' };
/** canary-by-header-pattern as nginx reads it: a map key `"~PATTERN"`, searched in the header value. */
export const HEADER_DIALECT: RegexDialect = { literals: " !%&',-/:<=>@_`~", caseless: false, prefix: '' };

/** Largest {n,m} count: PCRE2 allows 65535, but the expanded pattern would outgrow every other limit. */
const MAX_REPEAT_COUNT = 255;
/** Group nesting: PCRE2 refuses more than 250 by default; real paths need a handful. */
const MAX_NESTING = 32;
/** Byte positions once counted repetitions are written out: bounds the NFA (and PCRE2's compiled size). */
const MAX_POSITIONS = 10_000;
/** Ambiguous choices outside loops: each can double the work of a failing match, so 2^8 at most. */
const MAX_AMBIGUOUS_CHOICES = 8;

export class RegexSyntaxError extends Error {}

const DIGITS = ByteSet.range(48, 57);
const WORD = ByteSet.range(48, 57).union(ByteSet.range(65, 90)).union(ByteSet.range(97, 122)).union(ByteSet.of(95));
const SPACE = ByteSet.of(9, 10, 11, 12, 13, 32);
const NEWLINE = ByteSet.of(10);
const ANY_BUT_NEWLINE = NEWLINE.complement();
const ANY_BYTE = new ByteSet().complement();
/** Punctuation that may be escaped to stand for itself. */
const ESCAPABLE = '.^$|?*+()[]{}\\/-';

function classEscape(ch: string): ByteSet | undefined {
  switch (ch) {
    case 'd':
      return DIGITS;
    case 'D':
      return DIGITS.complement();
    case 'w':
      return WORD;
    case 'W':
      return WORD.complement();
    case 's':
      return SPACE;
    case 'S':
      return SPACE.complement();
    default:
      return undefined;
  }
}

function shown(ch: string | undefined): string {
  return ch === undefined ? 'the end' : JSON.stringify(ch);
}

/** A recursive-descent parser over the grammar above: one pass, each character read once. */
class Parser {
  private pos: number;
  private depth = 0;
  private readonly literal: Set<string>;
  private readonly src: string;

  constructor(
    source: string,
    private readonly dialect: RegexDialect,
  ) {
    this.literal = new Set(dialect.literals);
    // The prefix is parsed too (`^/a|/b` anchors only its first branch) but never blamed.
    this.src = dialect.prefix + source;
    this.pos = 0;
  }

  parse(): RegexNode {
    const node = this.alternation();
    if (this.pos < this.src.length) throw this.error(`unmatched ${shown(this.src[this.pos])}`);
    return node;
  }

  private error(reason: string, at = this.pos): RegexSyntaxError {
    return new RegexSyntaxError(`${reason} at offset ${at - this.dialect.prefix.length}`);
  }

  private alternation(): RegexNode {
    const branches = [this.sequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? branches[0]! : { kind: 'alt', branches };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    if (items.length === 0) return { kind: 'empty' };
    return items.length === 1 ? items[0]! : { kind: 'seq', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    const at = this.pos;
    const q = this.quantifier();
    if (!q) return atom;
    if (atom.kind === 'start' || atom.kind === 'end') throw this.error('a quantifier cannot follow an anchor', at);
    if (this.src[this.pos] === '?') this.pos++; // lazy: the same language, another order of trial
    if (this.src[this.pos] === '+') throw this.error('possessive quantifiers are not supported');
    if ('*+?{'.includes(this.src[this.pos] ?? '') && this.quantifierAhead()) throw this.error('a quantifier cannot follow a quantifier');
    return { kind: 'repeat', body: atom, min: q.min, max: q.max };
  }

  private quantifierAhead(): boolean {
    const ch = this.src[this.pos];
    return ch === '*' || ch === '+' || ch === '?' || (ch === '{' && /^\{\d/.test(this.src.slice(this.pos, this.pos + 2)));
  }

  private quantifier(): { min: number; max: number } | undefined {
    const ch = this.src[this.pos];
    if (ch === '*' || ch === '+' || ch === '?') {
      this.pos++;
      return ch === '*' ? { min: 0, max: Infinity } : ch === '+' ? { min: 1, max: Infinity } : { min: 0, max: 1 };
    }
    if (ch !== '{') return undefined;
    const m = /^\{(\d{1,9})(,(\d{1,9})?)?\}/.exec(this.src.slice(this.pos, this.pos + 22));
    if (!m) throw this.error('"{" must start a count {n}, {n,} or {n,m} (write \\{ for the character)');
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === undefined ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT_COUNT || (max !== Infinity && max > MAX_REPEAT_COUNT)) throw this.error(`counts above ${MAX_REPEAT_COUNT} are not supported`);
    if (max < min) throw this.error('the count {n,m} needs n <= m');
    this.pos += m[0].length;
    return { min, max };
  }

  private atom(): RegexNode {
    const at = this.pos;
    const ch = this.src[this.pos++]!;
    switch (ch) {
      case '(':
        return this.group(at);
      case '[':
        return { kind: 'bytes', set: this.charClass(at) };
      case '.':
        return { kind: 'bytes', set: ANY_BUT_NEWLINE };
      case '^':
        return { kind: 'start' };
      case '$':
        return { kind: 'end' };
      case '\\':
        return { kind: 'bytes', set: this.fold(this.escape(false)) };
      case '*':
      case '+':
      case '?':
        throw this.error(`${shown(ch)} has nothing to repeat`, at);
      case '{':
      case '}':
      case ']':
        throw this.error(`write \\${ch} for a literal ${shown(ch)}`, at);
      default:
        if (/[A-Za-z0-9]/.test(ch) || this.literal.has(ch)) return { kind: 'bytes', set: this.fold(ByteSet.of(ch.charCodeAt(0))) };
        throw this.error(`character ${shown(ch)} is not allowed`, at);
    }
  }

  private fold(set: ByteSet): ByteSet {
    return this.dialect.caseless ? set.caseFolded() : set;
  }

  private group(at: number): RegexNode {
    if (this.src[this.pos] === '?') {
      if (this.src[this.pos + 1] !== ':') throw this.error('only (...) and (?:...) groups are supported (no lookarounds, named groups or inline flags)', at);
      this.pos += 2;
    }
    if (++this.depth > MAX_NESTING) throw this.error(`groups nested more than ${MAX_NESTING} deep`, at);
    const body = this.alternation();
    this.depth--;
    if (this.src[this.pos] !== ')') throw this.error('missing ")"', at);
    this.pos++;
    return { kind: 'group', body };
  }

  /** After a backslash. */
  private escape(inClass: boolean): ByteSet {
    const at = this.pos - 1;
    const ch = this.src[this.pos++];
    if (ch === undefined) throw this.error('a pattern cannot end with "\\"', at);
    const cls = classEscape(ch);
    if (cls) return cls;
    // PCRE2 reads any escaped non-alphanumeric character as itself.
    if (ESCAPABLE.includes(ch) || (!/[A-Za-z0-9]/.test(ch) && this.literal.has(ch))) return ByteSet.of(ch.charCodeAt(0));
    throw this.error(`the escape \\${ch} is not supported${inClass ? ' in a class' : ''} (allowed: \\d \\D \\w \\W \\s \\S and escaped punctuation)`, at);
  }

  /** After `[`: `[^...]`, at least one member, members are literals, escapes and ranges of literals. */
  private charClass(at: number): ByteSet {
    let negated = false;
    if (this.src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    let set = new ByteSet();
    let members = 0;
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === undefined) throw this.error('missing "]"', at);
      if (ch === ']') {
        if (members === 0) throw this.error('an empty class [] matches nothing (write \\] for the character)', at);
        this.pos++;
        break;
      }
      const lo = this.classMember();
      members++;
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== undefined) {
        const dashAt = this.pos++;
        const hi = this.classMember();
        if (lo.single === undefined || hi.single === undefined) throw this.error('a range needs a single character at each end', dashAt);
        if (hi.single < lo.single) throw this.error('a range runs backwards', dashAt);
        set = set.union(ByteSet.range(lo.single, hi.single));
      } else {
        set = set.union(lo.set);
      }
    }
    // Folded before negation: caseless [^a] matches neither a nor A.
    return negated ? this.fold(set).complement() : this.fold(set);
  }

  private classMember(): { set: ByteSet; single: number | undefined } {
    const at = this.pos;
    const ch = this.src[this.pos++]!;
    if (ch === '\\') {
      const set = this.escape(true);
      const esc = this.src[this.pos - 1]!;
      return { set, single: classEscape(esc) ? undefined : esc.charCodeAt(0) };
    }
    if (ch === '[') throw this.error('write \\[ for a "[" inside a class (PCRE reads [: as a POSIX class)', at);
    if (/[A-Za-z0-9]/.test(ch) || this.literal.has(ch) || '.^$|?*+(){}'.includes(ch)) {
      return { set: ByteSet.of(ch.charCodeAt(0)), single: ch.charCodeAt(0) };
    }
    throw this.error(`character ${shown(ch)} is not allowed`, at);
  }
}

/** Parses `source` in the dialect, or throws RegexSyntaxError with a reason and an offset. */
export function parseRegex(source: string, dialect: RegexDialect): RegexNode {
  const node = new Parser(source, dialect).parse();
  const positions = countPositions(node);
  if (positions > MAX_POSITIONS) throw new RegexSyntaxError(`its repetitions write out to more than ${MAX_POSITIONS} characters`);
  return node;
}

function countPositions(node: RegexNode): number {
  switch (node.kind) {
    case 'bytes':
      return 1;
    case 'seq':
      return node.items.reduce((n, i) => n + countPositions(i), 0);
    case 'alt':
      return node.branches.reduce((n, b) => n + countPositions(b), 0);
    case 'group':
      return countPositions(node.body);
    case 'repeat':
      // Saturates instead of overflowing: ((a{255}){255}){255} is refused, not counted to 16 million.
      return Math.min(MAX_POSITIONS + 1, countPositions(node.body) * Math.max(1, node.max === Infinity ? node.min + 1 : node.max));
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Backtracking analysis.
//
// A backtracking matcher does more than linear work only where it can consume the same input in two
// ways and must try both: a choice whose options can start with the same byte (an LL(1) conflict). The
// analysis computes, for every loop and alternation, the bytes each option can start with and the bytes
// that can follow it, and refuses:
//  - a loop whose body can match the empty string ((a*)*, (a?)+): PCRE2 retries it at every position;
//  - any conflict inside a loop ((a|aa)+, (a+)+, (x.*y)+): exponential in the length of the request;
//  - a conflicting loop, then another loop over some of the same bytes that something able to fail
//    follows (.*b.*c, \d+\d+x, and `a.*b` searched at every position): polynomial, quadratic already
//    at nginx's 8 KB request line;
//  - more than MAX_AMBIGUOUS_CHOICES other conflicts (a?a?a?...aaa): exponential in the pattern.
// It is conservative (it refuses some patterns PCRE2 would run fast, such as (ab|ac)+) and runs in time
// linear in the pattern: each node is visited a bounded number of times.
// ---------------------------------------------------------------------------------------------------

interface Facts {
  nullable: boolean;
  first: ByteSet;
  /** Every byte the node can consume anywhere. */
  bytes: ByteSet;
}

const EMPTY = new ByteSet();

function factsOf(node: RegexNode, memo: Map<RegexNode, Facts>): Facts {
  const known = memo.get(node);
  if (known) return known;
  let f: Facts;
  switch (node.kind) {
    case 'empty':
    case 'start':
      f = { nullable: true, first: EMPTY, bytes: EMPTY };
      break;
    case 'end':
      // PCRE2's `$` also matches before a final newline: for the analysis it may be followed by one.
      f = { nullable: true, first: NEWLINE, bytes: EMPTY };
      break;
    case 'bytes':
      f = { nullable: false, first: node.set, bytes: node.set };
      break;
    case 'group':
      f = factsOf(node.body, memo);
      break;
    case 'repeat': {
      const b = factsOf(node.body, memo);
      f = node.max === 0 ? { nullable: true, first: EMPTY, bytes: EMPTY } : { nullable: node.min === 0 || b.nullable, first: b.first, bytes: b.bytes };
      break;
    }
    case 'alt': {
      let first = EMPTY;
      let bytes = EMPTY;
      let nullable = false;
      for (const br of node.branches) {
        const b = factsOf(br, memo);
        first = first.union(b.first);
        bytes = bytes.union(b.bytes);
        nullable ||= b.nullable;
      }
      f = { nullable, first, bytes };
      break;
    }
    case 'seq': {
      let first = EMPTY;
      let bytes = EMPTY;
      let nullable = true;
      for (const item of node.items) {
        const i = factsOf(item, memo);
        if (nullable) first = first.union(i.first);
        bytes = bytes.union(i.bytes);
        nullable &&= i.nullable;
      }
      f = { nullable, first, bytes };
      break;
    }
  }
  memo.set(node, f);
  return f;
}

/**
 * Whether every top-level branch starts with `^`, or with `.*` (greedy or lazy), which PCRE2 tries only at
 * the start and after a newline (its "startline" optimisation): then there is no implicit search loop.
 */
function anchoredAtStart(node: RegexNode): boolean {
  switch (node.kind) {
    case 'start':
      return true;
    case 'group':
      return anchoredAtStart(node.body);
    case 'alt':
      return node.branches.every(anchoredAtStart);
    case 'seq':
      return node.items.length > 0 && anchoredAtStart(node.items[0]!);
    case 'repeat':
      return node.min === 0 && node.max === Infinity && node.body.kind === 'bytes' && node.body.set === ANY_BUT_NEWLINE;
    default:
      return false;
  }
}

/** The reason `node` can make nginx's PCRE2 backtrack super-linearly, or undefined. */
export function backtrackingRisk(node: RegexNode): string | undefined {
  const memo = new Map<RegexNode, Facts>();
  // A searched pattern is tried at every start position: the same as a lazy any-byte loop in front.
  const root: RegexNode =
    !anchoredAtStart(node) ? { kind: 'seq', items: [{ kind: 'repeat', body: { kind: 'bytes', set: ANY_BYTE }, min: 0, max: Infinity }, node] } : node;
  const conflictingLoops: ByteSet[] = [];
  let choices = 0;
  let risk: string | undefined;

  const visit = (n: RegexNode, follow: ByteSet, inLoop: boolean): void => {
    if (risk) return;
    switch (n.kind) {
      case 'group':
        visit(n.body, follow, inLoop);
        return;
      case 'seq': {
        // Right to left: what can follow item i is the first bytes of the rest, and `follow` if the rest can be empty.
        const follows: ByteSet[] = new Array(n.items.length);
        let after = follow;
        for (let i = n.items.length - 1; i >= 0; i--) {
          follows[i] = after;
          const f = factsOf(n.items[i]!, memo);
          after = f.nullable ? f.first.union(after) : f.first;
        }
        n.items.forEach((item, i) => visit(item, follows[i]!, inLoop));
        return;
      }
      case 'alt': {
        const facts = n.branches.map((b) => factsOf(b, memo));
        let conflict = facts.filter((f) => f.nullable).length > 1;
        let seen = EMPTY;
        for (const f of facts) {
          const starts = f.nullable ? f.first.union(follow) : f.first;
          if (starts.intersects(seen)) conflict = true;
          seen = seen.union(starts);
        }
        if (conflict) {
          if (inLoop) {
            risk = 'a repeated alternation whose branches can match the same text (such as (a|aa)+) backtracks exponentially';
            return;
          }
          choices++;
        }
        for (const b of n.branches) visit(b, follow, inLoop);
        return;
      }
      case 'repeat': {
        const body = factsOf(n.body, memo);
        const loops = n.max >= 2;
        if (loops && body.nullable) {
          risk = 'a repeated group that can match the empty string (such as (a*)*) backtracks exponentially';
          return;
        }
        const conflict = n.max > n.min && body.first.intersects(follow);
        if (conflict && inLoop) {
          risk = 'a nested repetition that can match the same text in several ways (such as (a+)+) backtracks exponentially';
          return;
        }
        // Each place an earlier ambiguous loop can stop, this loop runs over the same bytes again, and
        // fails back if what follows it can fail: quadratic (or worse, with more of them).
        if (loops && !follow.isEmpty() && conflictingLoops.some((s) => s.intersects(body.bytes))) {
          risk = 'two repetitions that can match the same text one after the other (such as .*a.*b or \\d+\\d+x) backtrack polynomially';
          return;
        }
        if (conflict && loops) conflictingLoops.push(body.bytes);
        else if (conflict) choices++;
        visit(n.body, loops ? body.first.union(follow) : follow, inLoop || loops);
        return;
      }
      default:
        return;
    }
  };
  visit(root, EMPTY, false);
  if (!risk && choices > MAX_AMBIGUOUS_CHOICES) {
    risk = `more than ${MAX_AMBIGUOUS_CHOICES} optional parts that can match the same text (such as a?a?a?aaa) backtrack exponentially`;
  }
  return risk;
}

/**
 * Checks an author's regex: the grammar, then the backtracking analysis. Returns the reason it is
 * refused, or undefined. Linear in the pattern's length.
 */
export function checkAuthorRegex(source: string, dialect: RegexDialect): string | undefined {
  let node: RegexNode;
  try {
    node = parseRegex(source, dialect);
  } catch (err) {
    if (err instanceof RegexSyntaxError) return `not a supported regular expression: ${err.message}`;
    throw err;
  }
  const risk = backtrackingRisk(node);
  return risk ? `refused because it can make nginx backtrack: ${risk}` : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Linear-time matching (Thompson's construction): the controller's own questions about a pattern.
// ---------------------------------------------------------------------------------------------------

type State =
  | { op: 'bytes'; set: ByteSet; next: number }
  | { op: 'split'; next: number; alt: number }
  | { op: 'start'; next: number }
  | { op: 'end'; next: number }
  | { op: 'match' };

/** A compiled pattern: match it with `test`. */
export class CompiledRegex {
  private constructor(
    private readonly states: State[],
    private readonly startState: number,
  ) {}

  static compile(node: RegexNode): CompiledRegex {
    const states: State[] = [];
    const add = (s: State): number => states.push(s) - 1;
    // Builds `n` so that it continues to state `next`; returns its entry state. Built back to front, so
    // every state's successors exist when it is created.
    const build = (n: RegexNode, next: number): number => {
      switch (n.kind) {
        case 'empty':
          return next;
        case 'bytes':
          return add({ op: 'bytes', set: n.set, next });
        case 'start':
          return add({ op: 'start', next });
        case 'end':
          return add({ op: 'end', next });
        case 'group':
          return build(n.body, next);
        case 'seq': {
          let entry = next;
          for (let i = n.items.length - 1; i >= 0; i--) entry = build(n.items[i]!, entry);
          return entry;
        }
        case 'alt': {
          const entries = n.branches.map((b) => build(b, next));
          return entries.reduceRight((rest, e) => add({ op: 'split', next: e, alt: rest }));
        }
        case 'repeat': {
          let entry = next;
          if (n.max === Infinity) {
            // A loop state: body, then back to the loop; or leave.
            const loop = add({ op: 'split', next: -1, alt: next });
            const bodyEntry = build(n.body, loop);
            (states[loop] as { next: number }).next = bodyEntry;
            entry = loop;
          } else {
            for (let i = n.max; i > n.min; i--) entry = add({ op: 'split', next: build(n.body, entry), alt: next });
          }
          for (let i = 0; i < n.min; i++) entry = build(n.body, entry);
          return entry;
        }
      }
    };
    const matchState = add({ op: 'match' });
    return new CompiledRegex(states, build(node, matchState));
  }

  /** Whether the pattern matches anywhere in `subject` (as PCRE2 would answer), in O(subject × pattern). */
  test(subject: string): boolean {
    const bytes = Buffer.from(subject, 'latin1');
    let current = new Set<number>();
    for (let pos = 0; pos <= bytes.length; pos++) {
      // Searching: a new attempt may start at every position.
      if (this.closure(this.startState, pos, bytes.length, current)) return true;
      if (pos === bytes.length) break;
      const next = new Set<number>();
      const byte = bytes[pos]!;
      for (const id of current) {
        const s = this.states[id]!;
        if (s.op === 'bytes' && s.set.has(byte) && this.closure(s.next, pos + 1, bytes.length, next)) return true;
      }
      current = next;
    }
    return false;
  }

  /** Adds the states reachable from `id` without consuming input at `pos`; true when one is the match. */
  private closure(id: number, pos: number, length: number, into: Set<number>): boolean {
    const stack = [id];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (into.has(i)) continue;
      into.add(i);
      const s = this.states[i]!;
      switch (s.op) {
        case 'match':
          return true;
        case 'split':
          stack.push(s.alt, s.next);
          break;
        case 'start':
          if (pos === 0) stack.push(s.next);
          break;
        case 'end':
          if (pos === length) stack.push(s.next);
          break;
        default:
          break;
      }
    }
    return false;
  }
}

/** Compiles an already validated pattern (throws RegexSyntaxError if it is not). */
export function compileRegex(source: string, dialect: RegexDialect): CompiledRegex {
  return CompiledRegex.compile(parseRegex(source, dialect));
}
