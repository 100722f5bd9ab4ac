// The menu's colours, set by `color NORMAL [HIGHLIGHT]` in menu.lst's first section or in an
// entry, as GRUB 0.97 took them: each colour is FG/BG by name (FG may be any of the 16 VGA
// colours and start with "blink-", BG one of the first 8) or a VGA attribute number; without
// HIGHLIGHT, it is NORMAL with foreground and background swapped. On the PV console they are
// ANSI SGR sequences: the bright half of the foregrounds is bold. Until a `color`, the menu
// is plain with the highlighted entry in reverse video.

const NAMES: Array<string> = ["black", "blue", "green", "cyan", "red", "magenta", "brown", "light-gray",
  "dark-gray", "light-blue", "light-green", "light-cyan", "light-red", "light-magenta", "yellow", "white"];
// VGA colour (low 3 bits) to ANSI's 30 + n numbering.
const ANSI: Array<i32> = [0, 4, 2, 6, 1, 5, 3, 7];

export class MenuColors {
  normal: string = "\x1b[0m";
  highlight: string = "\x1b[7m";
  normalAttr: i32 = -1; // the VGA attributes, -1 until `color`
  highlightAttr: i32 = -1;
}

export const menuColors = new MenuColors();

function colourIndex(name: string, max: i32): i32 {
  for (let i = 0; i < max; i++) if (NAMES[i] == name) return i;
  return -1;
}

// "light-gray/blue" -> a VGA attribute (blink 0x80, background << 4, foreground), or -1.
function parseColour(s: string): i32 {
  if (s.length > 0 && s.charCodeAt(0) >= 0x30 && s.charCodeAt(0) <= 0x39) {
    let v = 0;
    for (let i = 0; i < s.length && i < 4; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return -1;
      v = v * 10 + c - 0x30;
    }
    return s.length <= 3 && v <= 255 ? v : -1;
  }
  const slash = s.indexOf("/");
  if (slash < 0) return -1;
  let fg = s.substring(0, slash);
  let blink = 0;
  if (fg.startsWith("blink-")) {
    blink = 0x80;
    fg = fg.substring(6);
  }
  const f = colourIndex(fg, 16);
  const b = colourIndex(s.substring(slash + 1), 8);
  if (f < 0 || b < 0) return -1;
  return blink | (b << 4) | f;
}

export function sgr(attr: i32): string {
  let s = "\x1b[0;";
  if ((attr & 8) != 0) s += "1;";
  if ((attr & 0x80) != 0) s += "5;";
  return s + "3" + ANSI[attr & 7].toString() + ";4" + ANSI[(attr >> 4) & 7].toString() + "m";
}

class Parsed {
  normal: i32 = -1;
  highlight: i32 = -1;
  error: string | null = null;
}

function parseColors(args: string): Parsed {
  const p = new Parsed();
  const parts = args.split(" ");
  const words = new Array<string>();
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) words.push(parts[i]);
  if (words.length == 0 || words.length > 2) {
    p.error = "give NORMAL [HIGHLIGHT], like color light-gray/blue black/light-gray";
    return p;
  }
  const n = parseColour(words[0]);
  if (n < 0) {
    p.error = "'" + words[0] + "' is not a colour like light-gray/blue";
    return p;
  }
  let h = ((n >> 4) | ((n & 0xf) << 4)) & 0xff;
  if (words.length == 2) {
    h = parseColour(words[1]);
    if (h < 0) {
      p.error = "'" + words[1] + "' is not a colour like black/light-gray";
      return p;
    }
  }
  p.normal = n;
  p.highlight = h;
  return p;
}

// What is wrong with `color`'s arguments, or null.
export function checkColors(args: string): string | null {
  return parseColors(args).error;
}

// `color` with its arguments: null when set, else what is wrong (the colours stay).
export function setMenuColors(args: string): string | null {
  const p = parseColors(args);
  if (p.error != null) return p.error;
  menuColors.normalAttr = p.normal;
  menuColors.highlightAttr = p.highlight;
  menuColors.normal = sgr(p.normal);
  menuColors.highlight = sgr(p.highlight);
  return null;
}
