// GRUB 2's script language, parsed: tokens (lexer.ts) to statements. What grub-mkconfig's
// scripts write and GRUB's manual describes: simple commands; if/elif/else/fi; while/until
// ... do ... done; for NAME in WORDS; do ... done; function NAME { ... }; menuentry and
// submenu with their arguments and a { body }. A menuentry's body is also kept as source
// text, as GRUB keeps it: the editor shows it and booting parses it again.
// Nesting is bounded (MAX_DEPTH); a syntax error stops the parse at that line, with what was
// parsed before it kept and the error reported.

import { lexScript, Token, TOK_WORD, TOK_NL, TOK_LBRACE, TOK_RBRACE, TOK_EOF } from "./lexer";

export const MAX_DEPTH: i32 = 32;

export const N_CMD: i32 = 0;
export const N_IF: i32 = 1;
export const N_WHILE: i32 = 2;
export const N_FOR: i32 = 3;
export const N_FUNCTION: i32 = 4;
export const N_ENTRY: i32 = 5; // menuentry or submenu

export class Node {
  words: Array<Token> = new Array<Token>(); // N_CMD: the command; N_ENTRY: its arguments; N_FOR: the list
  name: string = ""; // N_FUNCTION's name, N_FOR's variable, N_ENTRY: "menuentry"/"submenu"
  conds: Array<Array<Node>> = new Array<Array<Node>>(); // N_IF: if and each elif; N_WHILE: one
  bodies: Array<Array<Node>> = new Array<Array<Node>>(); // N_IF: then-parts (and else last); others: one
  hasElse: bool = false;
  until: bool = false; // N_WHILE: `until`
  source: string = ""; // N_ENTRY: the body's text between the braces
  bodyLine: i32 = 0; // N_ENTRY: the line the body text starts on
  constructor(public kind: i32, public line: i32) {}
}

export class Parsed {
  nodes: Array<Node> = new Array<Node>();
  error: string | null = null; // "12: ..." (the caller adds the file)
  errorLine: i32 = 0;
}

class Parser {
  pos: i32 = 0;
  error: string | null = null;
  errorLine: i32 = 0;
  constructor(public toks: Array<Token>, public src: string) {}

  peek(): Token {
    return this.toks[this.pos];
  }

  fail(t: Token, msg: string): void {
    if (this.error != null) return;
    this.error = t.line.toString() + ": " + msg;
    this.errorLine = t.line;
  }

  skipSeparators(): void {
    while (this.peek().kind == TOK_NL) this.pos++;
  }

  // Statements until one of `ends` (a keyword at a command's start), '}' or the end.
  block(ends: string[], depth: i32): Array<Node> {
    const out = new Array<Node>();
    if (depth > MAX_DEPTH) {
      this.fail(this.peek(), "nested more than " + MAX_DEPTH.toString() + " deep");
      return out;
    }
    for (let guard = 0; guard < this.toks.length + 1; guard++) {
      if (this.error != null) return out;
      this.skipSeparators();
      const t = this.peek();
      if (t.kind == TOK_EOF || t.kind == TOK_RBRACE) return out;
      if (t.kind == TOK_WORD && t.isPlain && ends.includes(t.plain)) return out;
      const node = this.statement(depth);
      // A statement cut short by a syntax error (`submenu s` without its body, an `if`
      // without `fi`) is not kept: the evaluator would find parts of it missing.
      if (node != null && this.error == null) out.push(node!);
      else if (this.error == null) this.pos++; // nothing taken: step on, bounded by the tokens
    }
    return out;
  }

  expectKeyword(word: string): bool {
    this.skipSeparators();
    const t = this.peek();
    if (t.kind == TOK_WORD && t.isPlain && t.plain == word) {
      this.pos++;
      return true;
    }
    this.fail(t, "'" + word + "' expected" + (t.kind == TOK_EOF ? " before the end of the file" : ""));
    return false;
  }

  statement(depth: i32): Node | null {
    const t = this.peek();
    if (t.kind == TOK_LBRACE) {
      this.fail(t, "'{' where a command was expected");
      return null;
    }
    const kw = t.isPlain ? t.plain : "";
    if (kw == "if") return this.ifNode(depth);
    if (kw == "while" || kw == "until") return this.whileNode(depth, kw == "until");
    if (kw == "for") return this.forNode(depth);
    if (kw == "function") return this.functionNode(depth);
    if (kw == "menuentry" || kw == "submenu") return this.entryNode(depth, kw);
    if (kw == "then" || kw == "elif" || kw == "else" || kw == "fi" || kw == "do" || kw == "done") {
      this.fail(t, "'" + kw + "' without its statement");
      return null;
    }
    const node = new Node(N_CMD, t.line);
    while (this.peek().kind == TOK_WORD) {
      node.words.push(this.peek());
      this.pos++;
    }
    return node;
  }

  ifNode(depth: i32): Node {
    const node = new Node(N_IF, this.peek().line);
    this.pos++;
    for (let guard = 0; guard < 1 << 20; guard++) {
      node.conds.push(this.block(["then"], depth + 1));
      if (!this.expectKeyword("then")) return node;
      node.bodies.push(this.block(["elif", "else", "fi"], depth + 1));
      this.skipSeparators();
      const t = this.peek();
      if (t.isPlain && t.plain == "elif") {
        this.pos++;
        continue;
      }
      if (t.isPlain && t.plain == "else") {
        this.pos++;
        node.hasElse = true;
        node.bodies.push(this.block(["fi"], depth + 1));
      }
      this.expectKeyword("fi");
      return node;
    }
    return node;
  }

  whileNode(depth: i32, until: bool): Node {
    const node = new Node(N_WHILE, this.peek().line);
    node.until = until;
    this.pos++;
    node.conds.push(this.block(["do"], depth + 1));
    if (!this.expectKeyword("do")) return node;
    node.bodies.push(this.block(["done"], depth + 1));
    this.expectKeyword("done");
    return node;
  }

  forNode(depth: i32): Node {
    const node = new Node(N_FOR, this.peek().line);
    this.pos++;
    const v = this.peek();
    if (v.kind != TOK_WORD || !v.isPlain) {
      this.fail(v, "for: a variable name expected");
      return node;
    }
    node.name = v.plain;
    this.pos++;
    const inw = this.peek();
    if (!(inw.kind == TOK_WORD && inw.isPlain && inw.plain == "in")) {
      this.fail(inw, "for: 'in' expected");
      return node;
    }
    this.pos++;
    while (this.peek().kind == TOK_WORD) {
      node.words.push(this.peek());
      this.pos++;
    }
    if (!this.expectKeyword("do")) return node;
    node.bodies.push(this.block(["done"], depth + 1));
    this.expectKeyword("done");
    return node;
  }

  // '{' statements '}': the body, and its source text for entries.
  braced(node: Node, depth: i32): void {
    const open = this.peek();
    if (open.kind != TOK_LBRACE) {
      this.fail(open, "'{' expected");
      return;
    }
    this.pos++;
    node.bodies.push(this.block([], depth + 1));
    if (this.error != null) return;
    const close = this.peek();
    if (close.kind != TOK_RBRACE) {
      this.fail(close, "'}' expected" + (close.kind == TOK_EOF ? " before the end of the file" : ""));
      return;
    }
    this.pos++;
    node.source = this.src.substring(open.end, close.start);
    node.bodyLine = open.line;
  }

  functionNode(depth: i32): Node {
    const node = new Node(N_FUNCTION, this.peek().line);
    this.pos++;
    const name = this.peek();
    if (name.kind != TOK_WORD || !name.isPlain) {
      this.fail(name, "function: a name expected");
      return node;
    }
    node.name = name.plain;
    this.pos++;
    this.skipSeparators();
    this.braced(node, depth);
    return node;
  }

  entryNode(depth: i32, kw: string): Node {
    const node = new Node(N_ENTRY, this.peek().line);
    node.name = kw;
    this.pos++;
    while (this.peek().kind == TOK_WORD) {
      node.words.push(this.peek());
      this.pos++;
    }
    this.braced(node, depth);
    return node;
  }
}

// Parse a script. `lineMap`, when given, maps the text's line numbers (1-based) to the lines
// they came from (an entry's body, edited or not, keeps its lines in the file).
export function parseScript(src: string): Parsed {
  const r = new Parsed();
  const lx = lexScript(src);
  if (lx.error != null) {
    r.error = lx.error;
    r.errorLine = lx.errorLine;
    // what came before the bad token is still worth running: lex it alone
    const cut = lineStart(src, lx.errorLine);
    if (cut > 0) {
      const before = parseScript(src.substring(0, cut));
      r.nodes = before.nodes;
    }
    return r;
  }
  const p = new Parser(lx.tokens, src);
  r.nodes = p.block([], 0);
  if (p.error == null && p.peek().kind != TOK_EOF) p.fail(p.peek(), "'" + (p.peek().kind == TOK_RBRACE ? "}" : p.peek().plain) + "' without its opening");
  r.error = p.error;
  r.errorLine = p.errorLine;
  return r;
}

// Offset where 1-based line `line` starts.
function lineStart(s: string, line: i32): i32 {
  let l = 1;
  for (let i = 0; i < s.length; i++) {
    if (l >= line) return i;
    if (s.charCodeAt(i) == 0x0a) l++;
  }
  return s.length;
}

export { TOK_WORD, TOK_NL };
