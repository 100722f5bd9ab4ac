// Scripted key sequences for `pvboot run --keys`: text as typed, with escapes for the keys a
// terminal sends as control bytes or escape sequences.
//   \n \r \t \e \\ \xNN   and   <enter> <esc> <tab> <bs> <del> <up> <down> <left> <right>
//   <home> <end> <pgup> <pgdn> <c-a> ... <c-z>   (names are case-insensitive)

const NAMED: Record<string, number[]> = {
  enter: [0x0d], esc: [0x1b], tab: [0x09], bs: [0x7f], del: [0x1b, 0x5b, 0x33, 0x7e],
  up: [0x1b, 0x5b, 0x41], down: [0x1b, 0x5b, 0x42], right: [0x1b, 0x5b, 0x43], left: [0x1b, 0x5b, 0x44],
  home: [0x1b, 0x5b, 0x48], end: [0x1b, 0x5b, 0x46], pgup: [0x1b, 0x5b, 0x35, 0x7e], pgdn: [0x1b, 0x5b, 0x36, 0x7e],
};

export function parseKeys(spec: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < spec.length; ) {
    const c = spec[i];
    if (c === "\\" && i + 1 < spec.length) {
      const e = spec[i + 1];
      const simple: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, e: 0x1b, "\\": 0x5c, "<": 0x3c };
      if (e in simple) {
        out.push(simple[e]);
        i += 2;
        continue;
      }
      if (e === "x" && /^[0-9a-fA-F]{2}$/.test(spec.slice(i + 2, i + 4))) {
        out.push(parseInt(spec.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      throw new Error(`keys: unknown escape '\\${e}' at position ${i}`);
    }
    if (c === "<") {
      const close = spec.indexOf(">", i);
      const name = close > i ? spec.slice(i + 1, close).toLowerCase() : "";
      const ctrl = name.match(/^c-([a-z])$/);
      if (ctrl) {
        out.push(ctrl[1].charCodeAt(0) - 0x60);
        i = close + 1;
        continue;
      }
      if (name in NAMED) {
        out.push(...NAMED[name]);
        i = close + 1;
        continue;
      }
      throw new Error(`keys: unknown key name '<${name}>' at position ${i} (write \\< for a plain '<')`);
    }
    const code = c.codePointAt(0)!;
    if (code > 0x7e) throw new Error(`keys: '${c}' is not ASCII; use \\xNN`);
    out.push(code);
    i++;
  }
  return Uint8Array.from(out);
}
