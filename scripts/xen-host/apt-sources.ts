// The machine's apt sources, read the way apt reads them: Dir::Etc::sourcelist (one-line
// format) and every *.list (one-line) and *.sources (deb822) file in Dir::Etc::sourceparts,
// the paths taken from `apt-config dump`. The Xen test host takes its mirror from here (no
// mirror host is written in the code): debootstrap, the dom0 root's sources.list and the
// private apt configuration that fetches source packages (apt-private.ts) all use the entry
// that serves the suite they need.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface AptSource {
  type: "deb" | "deb-src";
  uri: string;          // without a trailing slash
  suite: string;
  components: string[];
  signedBy?: string;    // a keyring path or fingerprints, or an armoured key (deb822), verbatim
  archs?: string[];
  file: string;         // where it was read, for messages
}

// One-line format: `deb [ opt=val ... ] URI SUITE [COMPONENT...]`, `#` starts a comment.
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const m = line.match(/^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/);
    if (!m) continue; // apt refuses such a file; what it names is not ours to judge
    const opts = new Map<string, string>();
    for (const o of (m[2] ?? "").trim().split(/\s+/).filter(Boolean)) {
      const eq = o.indexOf("=");
      if (eq > 0) opts.set(o.slice(0, eq).toLowerCase(), o.slice(eq + 1));
    }
    out.push({
      type: m[1] as AptSource["type"], uri: m[3].replace(/\/+$/, ""), suite: m[4],
      components: m[5].split(/\s+/).filter(Boolean), signedBy: opts.get("signed-by"),
      archs: opts.get("arch")?.split(","), file,
    });
  }
  return out;
}

// deb822: stanzas split by blank lines; a field's continuation lines start with a space or
// tab (a lone "." stands for an empty line); lines starting with `#` are comments.
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last = "";
    for (const line of stanza.split("\n")) {
      if (line.startsWith("#")) continue;
      if (/^[ \t]/.test(line)) {
        if (last) fields.set(last, `${fields.get(last)}\n${line.trim() === "." ? "" : line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    if (!fields.has("types") || !fields.has("uris") || !fields.has("suites")) continue;
    if (/^(no|false|0)$/i.test(fields.get("enabled") ?? "yes")) continue;
    const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
    const signedBy = fields.get("signed-by")?.replace(/^\n/, "");
    for (const type of words("types")) {
      if (type !== "deb" && type !== "deb-src") continue;
      for (const uri of words("uris")) {
        for (const suite of words("suites")) {
          out.push({ type, uri: uri.replace(/\/+$/, ""), suite, components: words("components"), signedBy,
            archs: fields.has("architectures") ? words("architectures") : undefined, file });
        }
      }
    }
  }
  return out;
}

// The source list and parts directory apt itself uses (`apt-config dump`), else apt's defaults.
function sourcePaths(): { list: string; parts: string } {
  const conf = new Map<string, string>();
  try {
    const dump = execFileSync("apt-config", ["dump"], { encoding: "utf8", maxBuffer: 16 << 20 });
    for (const m of dump.matchAll(/^(Dir(?:::Etc(?:::sourcelist|::sourceparts)?)?) "(.*)";$/gm)) conf.set(m[1], m[2]);
  } catch { /* no apt-config: the defaults */ }
  const at = (base: string, p: string) => (p.startsWith("/") ? p : join(base, p));
  const etc = at(conf.get("Dir") ?? "/", conf.get("Dir::Etc") ?? "etc/apt");
  return { list: at(etc, conf.get("Dir::Etc::sourcelist") ?? "sources.list"), parts: at(etc, conf.get("Dir::Etc::sourceparts") ?? "sources.list.d") };
}

export function readAptSources(paths = sourcePaths()): AptSource[] {
  const out: AptSource[] = [];
  if (existsSync(paths.list)) out.push(...parseOneLine(readFileSync(paths.list, "utf8"), paths.list));
  let parts: string[] = [];
  try { parts = readdirSync(paths.parts).sort(); } catch { /* none */ }
  for (const f of parts) {
    // apt reads only these names (letters, digits, _ - . and the right suffix)
    if (!/^[A-Za-z0-9_.-]+\.(list|sources)$/.test(f)) continue;
    const file = join(paths.parts, f);
    const text = readFileSync(file, "utf8");
    out.push(...(f.endsWith(".sources") ? parseDeb822(text, file) : parseOneLine(text, file)));
  }
  return out;
}

// The first binary (`deb`) entry that serves SUITE with COMPONENT: Debian's mirror for it, as
// this machine's apt configuration names it.
export function mirrorFor(suite: string, component = "main", sources = readAptSources()): AptSource {
  const hit = sources.find((s) => s.type === "deb" && s.suite === suite && s.components.includes(component));
  if (!hit) {
    const seen = sources.map((s) => `${s.type} ${s.uri} ${s.suite}`).join("; ") || "none";
    throw new Error(`no apt source serves '${suite}' '${component}' on this machine (sources: ${seen}): ` +
      `add one to /etc/apt/sources.list or /etc/apt/sources.list.d/`);
  }
  return hit;
}
