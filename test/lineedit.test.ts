// The line editor (src/ui/lineedit.ts) at its limits, through its first user, the grubdom>
// prompt: the bounded line, scrolling with the cursor anywhere, the bounded history, the
// scratch line kept while browsing, Tab with nothing or with an error to show, stray keys.

import { describe, expect, it, beforeAll } from "vitest";
import { makeDisk, session, afterBanner } from "./grubdom-disk";

beforeAll(makeDisk, 60_000);

describe("line editor", () => {
  it("bounds the line at 1024 characters and rings the bell for the rest", () => {
    const typed = `cat /${"b/".repeat(550)}`; // short components: the reader's own limits stay out of it
    const r = session(`${typed}\r`);
    const m = /Error: cat: '\(hd0,0\)(\/[b/]+)': file not found/.exec(r.console);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(typed.slice("cat ".length, 1024));
    expect(r.console.split("\x07").length - 1).toBe(typed.length - 1024);
  });

  it("scrolls back to the start on Home and edits in the middle of a long line", () => {
    // 120 x's, Home, Ctrl-F x4 (past "cat "), type "/": "cat /xxx..." has its slash at 4
    const r = session(`cat ${"x".repeat(120)}<home><right><right><right><right>/\r`);
    expect(r.console).toContain(`Error: cat: '(hd0,0)/${"x".repeat(120)}': file not found`);
    // after Home the window starts at the line's start again
    expect(r.console).toContain(`\rgrubdom> cat ${"x".repeat(66)}\x1b[K\r\x1b[9C`);
    for (const row of r.screen.filter((l) => l.startsWith("grubdom> "))) expect(row.length).toBeLessThan(80);
  });

  it("keeps the last 32 lines of history, skipping empty lines and repeats", () => {
    let keys = "";
    for (let i = 0; i < 40; i++) keys += `find /f${i}\r`;
    keys += "find /f39\r\r"; // a repeat and an empty line: not kept
    keys += "<up>".repeat(40) + "\r"; // stops at the oldest kept: /f8
    const r = session(keys);
    const runs = afterBanner(r.screen).split("\n").filter((l) => l.startsWith("grubdom> find"));
    expect(runs[runs.length - 1]).toBe("grubdom> find /f8");
  });

  it("keeps the line being typed while browsing the history, and gives it back on Down", () => {
    const r = session("find /hello.txt\rfind /he<up><up><down>lium.txt\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> find /helium.txt\n (hd0,0)\n");
  });

  it("Tab with no candidate rings the bell; a device that does not exist is said under the line", () => {
    const r = session("cat /zz<tab>\x15ls (hd5,0)/<tab>\x15ls /hello.txt/<tab>\x15ls --type=<tab>\r");
    expect(r.console).toContain("cat /zz\x07");
    expect(r.console).toContain("\r\n no disk hd5 (the domain has 1)\r\n\rgrubdom> ls (hd5,0)/\x1b[K");
    expect(r.console).toMatch(/\r\n '\/hello\.txt\/': .*hello\.txt.*not a directory.*\r\n\rgrubdom> ls \/hello\.txt\/\x1b\[K/);
    expect(r.console).toContain("ls --type=\x07");
  });

  it("ignores bytes it cannot show, and rings the bell for keys it does not know", () => {
    const r = session("cat /hel\\xe9lo.txt<pgup>\r");
    expect(afterBanner(r.screen)).toContain("grubdom> cat /hello.txt\nHello from");
    expect(r.console).toContain("\x07");
  });
});
