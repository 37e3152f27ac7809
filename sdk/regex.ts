// `meshwasm/sdk/regex`: a small regular-expression matcher for path and header rules (AssemblyScript has no RegExp).
// Patterns compile to a Thompson NFA that is run as a Pike VM: time linear in the input, no
// backtracking, so a hostile pattern or header cannot stall the proxy (RE2's guarantee, which
// Envoy's safe_regex also gives). Syntax: literals, ., [a-z] and [^...] classes, \d \w \s (and
// \D \W \S), escapes, ^ $, groups ( ) and (?: ), alternation |, and * + ? {n} {n,} {n,m}.
// Search semantics: the pattern may match anywhere unless anchored with ^ / $.
import { formatInt } from "./decimal";

const OP_CHAR = 0, OP_ANY = 1, OP_CLASS = 2, OP_SPLIT = 3, OP_JMP = 4, OP_BOL = 5, OP_EOL = 6, OP_MATCH = 7;
const N_CHAR = 0, N_ANY = 1, N_CLASS = 2, N_BOL = 3, N_EOL = 4, N_CAT = 5, N_ALT = 6, N_REPEAT = 7, N_EMPTY = 8;
const MAX_REPEAT = 100;
const MAX_PROGRAM = 5000;

class CharClass {
  lo: Array<i32> = new Array<i32>();
  hi: Array<i32> = new Array<i32>();
  negate: bool = false;
  add(lo: i32, hi: i32): void { this.lo.push(lo); this.hi.push(hi); }
  has(c: i32): bool {
    let inside = false;
    for (let i = 0; i < this.lo.length; i++) if (c >= this.lo[i] && c <= this.hi[i]) { inside = true; break; }
    return inside != this.negate;
  }
}

class Node {
  kind: i32 = N_EMPTY;
  ch: i32 = 0;
  cls: i32 = 0;
  min: i32 = 0;
  max: i32 = -1; // -1: unbounded
  // Children as a linked list, not an Array: most nodes are single characters with none, and
  // an array per node is an allocation each and more code.
  /** The operand of a repeat; the parts of a sequence or an alternation, linked by `next`. */
  first: Node | null = null;
  last: Node | null = null;
  next: Node | null = null;

  add(kid: Node): void {
    const last = this.last;
    if (last === null) this.first = kid;
    else last.next = kid;
    this.last = kid;
  }
}

class Parser {
  pos: i32 = 0;
  error: string = "";
  classes: Array<CharClass> = new Array<CharClass>();
  constructor(public src: string) {}

  more(): bool { return this.pos < this.src.length; }
  /** The character at `pos`, -1 past the end (so comparing it needs no more() first). */
  peek(): i32 { return this.src.charCodeAt(this.pos); }
  fail(msg: string): Node | null {
    if (this.error.length == 0) this.error = msg + " at offset " + formatInt(this.pos);
    return null;
  }

  alt(): Node | null {
    const first = this.concat();
    if (first === null) return null;
    if (this.peek() != 0x7c) return first;
    const n = new Node();
    n.kind = N_ALT;
    n.add(first);
    while (this.peek() == 0x7c) {
      this.pos++;
      const next = this.concat();
      if (next === null) return null;
      n.add(next);
    }
    return n;
  }

  concat(): Node | null {
    const n = new Node();
    n.kind = N_CAT;
    while (this.more() && this.peek() != 0x7c && this.peek() != 0x29) {
      const r = this.repeat();
      if (r === null) return null;
      n.add(r);
    }
    return n;
  }

  repeat(): Node | null {
    let atom = this.atom();
    if (atom === null) return null;
    while (true) {
      const c = this.peek();
      let min = 0, max = -1;
      if (c == 0x2a) { this.pos++; } // *
      else if (c == 0x2b) { this.pos++; min = 1; } // +
      else if (c == 0x3f) { this.pos++; max = 1; } // ?
      else if (c == 0x7b) { // {n}, {n,}, {n,m}
        this.pos++;
        min = this.int();
        if (min < 0) return this.fail("expected a number after '{'");
        max = min;
        if (this.peek() == 0x2c) {
          this.pos++;
          max = this.peek() == 0x7d ? -1 : this.int();
          if (max == -2) return this.fail("expected a number after ','");
        }
        if (this.peek() != 0x7d) return this.fail("expected '}'");
        this.pos++;
        if (min > MAX_REPEAT || max > MAX_REPEAT) return this.fail("repeat count above " + formatInt(MAX_REPEAT));
        if (max >= 0 && max < min) return this.fail("repeat {n,m} with m < n");
      } else break;
      if (atom.kind == N_BOL || atom.kind == N_EOL) return this.fail("nothing to repeat");
      // Lazy quantifiers change nothing for a yes/no match: accept and ignore the '?'.
      if (this.peek() == 0x3f) this.pos++;
      const r = new Node();
      r.kind = N_REPEAT; r.min = min; r.max = max;
      r.add(atom);
      atom = r;
    }
    return atom;
  }

  int(): i32 {
    let v = -1;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) {
      v = (v < 0 ? 0 : v) * 10 + (this.peek() - 0x30);
      if (v > 100000) return -2;
      this.pos++;
    }
    return v < 0 ? -2 : v;
  }

  atom(): Node | null {
    const c = this.peek();
    const n = new Node();
    this.pos++;
    if (c == 0x28) { // (
      if (this.peek() == 0x3f) {
        if (this.src.charCodeAt(this.pos + 1) != 0x3a) return this.fail("unsupported group syntax");
        this.pos += 2; // (?: is a plain group here: nothing is captured anyway
      }
      const inner = this.alt();
      if (inner === null) return null;
      if (this.peek() != 0x29) return this.fail("missing ')'");
      this.pos++;
      return inner;
    }
    if (c == 0x5b) return this.charClass();
    if (c == 0x2e) { n.kind = N_ANY; return n; }
    if (c == 0x5e) { n.kind = N_BOL; return n; }
    if (c == 0x24) { n.kind = N_EOL; return n; }
    if (c == 0x2a || c == 0x2b || c == 0x3f || c == 0x7b) { this.pos--; return this.fail("nothing to repeat"); }
    if (c == 0x5c) {
      if (!this.more()) return this.fail("trailing backslash");
      const e = this.peek();
      this.pos++;
      const cls = new CharClass();
      if (addEscapeClass(cls, e)) {
        n.kind = N_CLASS; n.cls = this.classes.length; this.classes.push(cls);
        return n;
      }
      n.kind = N_CHAR; n.ch = escapeChar(e);
      return n;
    }
    n.kind = N_CHAR; n.ch = c;
    return n;
  }

  charClass(): Node | null {
    const cls = new CharClass();
    if (this.peek() == 0x5e) { cls.negate = true; this.pos++; }
    let first = true;
    while (true) {
      if (!this.more()) return this.fail("missing ']'");
      let c = this.peek();
      if (c == 0x5d && !first) { this.pos++; break; }
      first = false;
      this.pos++;
      if (c == 0x5c) {
        if (!this.more()) return this.fail("trailing backslash");
        const e = this.peek();
        if (e == 0x44 || e == 0x57 || e == 0x53) return this.fail("\\D, \\W and \\S are not supported inside [...]");
        this.pos++;
        if (addEscapeClass(cls, e)) continue;
        c = escapeChar(e);
      }
      let hi = c;
      if (this.pos + 1 < this.src.length && this.peek() == 0x2d && this.src.charCodeAt(this.pos + 1) != 0x5d) {
        this.pos++;
        hi = this.peek();
        this.pos++;
        if (hi == 0x5c) { if (!this.more()) return this.fail("trailing backslash"); hi = escapeChar(this.peek()); this.pos++; }
        if (hi < c) return this.fail("range out of order");
      }
      cls.add(c, hi);
    }
    const n = new Node();
    n.kind = N_CLASS; n.cls = this.classes.length;
    this.classes.push(cls);
    return n;
  }
}

function escapeChar(e: i32): i32 {
  if (e == 0x6e) return 10; // \n
  if (e == 0x74) return 9; // \t
  if (e == 0x72) return 13; // \r
  return e;
}

function addEscapeClass(cls: CharClass, e: i32): bool {
  const lower = e | 0x20;
  if (lower != 0x64 && lower != 0x77 && lower != 0x73) return false;
  // Upper-case escapes (only allowed outside [...]) become their own negated class.
  const negated = e != lower;
  if (negated) cls.negate = !cls.negate;
  if (lower == 0x64) cls.add(0x30, 0x39);
  else if (lower == 0x77) { cls.add(0x30, 0x39); cls.add(0x41, 0x5a); cls.add(0x61, 0x7a); cls.add(0x5f, 0x5f); }
  else { cls.add(0x20, 0x20); cls.add(9, 13); }
  return true;
}

export class Regex {
  op: Array<i32> = new Array<i32>();
  a: Array<i32> = new Array<i32>();
  b: Array<i32> = new Array<i32>();
  classes: Array<CharClass> = new Array<CharClass>();
  private emit(op: i32, a: i32 = 0, b: i32 = 0): i32 {
    this.op.push(op); this.a.push(a); this.b.push(b);
    return this.op.length - 1;
  }

  compile(n: Node): void {
    if (this.op.length > MAX_PROGRAM) return;
    switch (n.kind) {
      case N_CHAR: this.emit(OP_CHAR, n.ch); break;
      case N_ANY: this.emit(OP_ANY); break;
      case N_CLASS: this.emit(OP_CLASS, n.cls); break;
      case N_BOL: this.emit(OP_BOL); break;
      case N_EOL: this.emit(OP_EOL); break;
      case N_CAT: {
        let kid = n.first;
        while (kid !== null) { this.compile(kid); kid = kid.next; }
        break;
      }
      case N_ALT: {
        const jumps = new Array<i32>();
        let kid = n.first;
        while (kid !== null) {
          const next = kid.next;
          if (next !== null) {
            const split = this.emit(OP_SPLIT, this.op.length + 1, 0);
            this.compile(kid);
            jumps.push(this.emit(OP_JMP));
            this.b[split] = this.op.length;
          } else this.compile(kid);
          kid = next;
        }
        for (let i = 0; i < jumps.length; i++) this.a[jumps[i]] = this.op.length;
        break;
      }
      case N_REPEAT: {
        const kid = n.first;
        if (kid === null) break; // a repeat always has its operand
        for (let i = 0; i < n.min; i++) this.compile(kid);
        if (n.max < 0) {
          // L: split body, end; body; jmp L
          const split = this.emit(OP_SPLIT, this.op.length + 1, 0);
          this.compile(kid);
          this.emit(OP_JMP, split);
          this.b[split] = this.op.length;
        } else {
          const splits = new Array<i32>();
          for (let i = n.min; i < n.max; i++) {
            splits.push(this.emit(OP_SPLIT, this.op.length + 1, 0));
            this.compile(kid);
          }
          for (let i = 0; i < splits.length; i++) this.b[splits[i]] = this.op.length;
        }
        break;
      }
      default: break;
    }
  }

  // Pike VM state, reused across matches.
  private cur: Array<i32> = new Array<i32>();
  private next: Array<i32> = new Array<i32>();
  private mark: Array<i32> = new Array<i32>();
  private gen: i32 = 0;
  private found: bool = false;

  private addThread(list: Array<i32>, pc: i32, pos: i32, len: i32): void {
    if (this.mark[pc] == this.gen) return;
    this.mark[pc] = this.gen;
    const op = this.op[pc];
    if (op == OP_JMP) this.addThread(list, this.a[pc], pos, len);
    else if (op == OP_SPLIT) { this.addThread(list, this.a[pc], pos, len); this.addThread(list, this.b[pc], pos, len); }
    else if (op == OP_BOL) { if (pos == 0) this.addThread(list, pc + 1, pos, len); }
    else if (op == OP_EOL) { if (pos == len) this.addThread(list, pc + 1, pos, len); }
    else if (op == OP_MATCH) this.found = true;
    else list.push(pc);
  }

  /** True when the pattern matches somewhere in `s`. */
  test(s: string): bool {
    const len = s.length;
    if (this.mark.length < this.op.length) for (let i = this.mark.length; i < this.op.length; i++) this.mark.push(0);
    this.found = false;
    this.cur.length = 0;
    for (let pos = 0; pos <= len; pos++) {
      this.gen++;
      // Re-seeding the start state at every position is the unanchored search.
      this.addThread(this.cur, 0, pos, len);
      if (this.found) return true;
      if (pos == len) break;
      const c = s.charCodeAt(pos);
      this.gen++;
      this.next.length = 0;
      for (let i = 0; i < this.cur.length; i++) {
        const pc = this.cur[i];
        const op = this.op[pc];
        let ok = false;
        if (op == OP_CHAR) ok = this.a[pc] == c;
        else if (op == OP_ANY) ok = c != 10;
        else if (op == OP_CLASS) ok = this.classes[this.a[pc]].has(c);
        if (ok) this.addThread(this.next, pc + 1, pos + 1, len);
        if (this.found) return true;
      }
      const t = this.cur; this.cur = this.next; this.next = t;
    }
    return false;
  }
}

/** Why the last compileRegex returned null. */
export let regexError: string = "";

export function compileRegex(pattern: string): Regex | null {
  const p = new Parser(pattern);
  const root = p.alt();
  if (root === null || p.more()) {
    regexError = p.error.length > 0 ? p.error : "unexpected ')' at offset " + formatInt(p.pos);
    return null;
  }
  const re = new Regex();
  re.classes = p.classes;
  re.compile(root);
  if (re.op.length > MAX_PROGRAM) { regexError = "pattern too large"; return null; }
  re.op.push(OP_MATCH); re.a.push(0); re.b.push(0);
  return re;
}
