// The probe's report (src/probe/main.ts: one "probe: WHAT k=v ..." line per fact) parsed into
// fields, for the tests that compare what a kernel finds after pvboot's handoff
// (test/xen/probe.test.ts for PV, test/xen/pvh.test.ts for PVH).

export type Fields = Record<string, string>;
export interface Report {
  startInfo: Fields; cmdline: string; layout: Fields; pagetables: Fields;
  modules: (Fields & { cmdline: string })[]; modulesSummary?: Fields; initrd?: Fields; none: boolean;
  evtchn: Map<number, Fields>; pending: Fields; gnttab: Fields; grants: Fields[];
  ring: Fields; watch: Fields; vbds: Fields[]; memmap: string[]; done: boolean; other: string[];
}

// "k=v k=v ..." (values without spaces); `rest` names a last field that takes the rest of the line.
export function fields(s: string, rest?: string): Fields & { cmdline: string } {
  const f: Fields = {};
  let tail = s;
  if (rest) {
    const at = s.indexOf(` ${rest}=`);
    if (at >= 0) { f[rest] = s.slice(at + rest.length + 2); tail = s.slice(0, at); }
  }
  for (const w of tail.trim().split(/\s+/)) {
    const eq = w.indexOf("=");
    if (eq > 0) f[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return f as Fields & { cmdline: string };
}

export function parseReport(lines: string[]): Report {
  const r: Report = { startInfo: {}, cmdline: "", layout: {}, pagetables: {}, modules: [], none: false, evtchn: new Map(),
    pending: {}, gnttab: {}, grants: [], ring: {}, watch: {}, vbds: [], memmap: [], done: false, other: [] };
  for (const line of lines) {
    const m = line.match(/^probe: (\S+)(?: (.*))?$/);
    if (!m) continue;
    const [, what, rest = ""] = m;
    switch (what) {
      case "start_info": r.startInfo = fields(rest); break;
      case "cmdline": r.cmdline = rest; break;
      case "layout": r.layout = fields(rest); break;
      case "pagetables": r.pagetables = fields(rest); break;
      case "module": r.modules.push(fields(rest.replace(/^\d+ /, ""), "cmdline")); break;
      case "modules": if (rest === "none") r.none = true; else r.modulesSummary = fields(rest); break;
      case "initrd": r.initrd = fields(rest); break;
      case "evtchn": { const f = fields(rest); r.evtchn.set(Number(f.port), f); break; }
      case "pending": r.pending = fields(rest); break;
      case "gnttab": r.gnttab = fields(rest); break;
      case "grant": r.grants.push(fields(rest)); break;
      case "xenstore": if (rest.startsWith("ring ")) r.ring = fields(rest); else r.watch = fields(rest); break;
      case "vbd": if (rest.startsWith("dev=")) r.vbds.push(fields(rest)); break;
      case "memmap": r.memmap.push(rest); break; // PVH: "N addr= size= type=", then "count= ram_pages="
      case "done": r.done = true; break;
      default: if (!what.startsWith("cmdline_len")) r.other.push(line);
    }
  }
  return r;
}

