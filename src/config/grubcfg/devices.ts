// GRUB 2's device names and pvboot's. GRUB 2 numbers partitions from 1 and may name the table
// ("hd0,msdos1", "hd0,gpt2", "hd0,1"); pvboot, like GRUB legacy, from 0 ("(hd0,0)"). A grub.cfg's
// $root holds a GRUB 2 name without parentheses; files are "(DEV)/path" or "/path" on $root.

import { parseDevPath } from "../../fs/devpath";
import { partitionTable } from "../../disk/volumes";

function digitsOnly(s: string): bool {
  if (s.length == 0 || s.length > 6) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// "hd0,msdos1" -> "(hd0,0)"; "hd1" -> "(hd1)"; null when it is no disk pvboot knows.
export function pvbootDevice(grub: string): string | null {
  let g = grub;
  if (g.startsWith("(") && g.endsWith(")")) g = g.substring(1, g.length - 1);
  const parts = g.split(",");
  if (!parts[0].startsWith("hd") || !digitsOnly(parts[0].substring(2))) return null;
  const disk = parts[0].substring(2);
  if (parts.length == 1) return "(hd" + disk + ")";
  if (parts.length > 2) return null; // nested (BSD) partitions
  let p = parts[1];
  if (p.startsWith("msdos")) p = p.substring(5);
  else if (p.startsWith("gpt")) p = p.substring(3);
  if (!digitsOnly(p)) return null;
  const n = I32.parseInt(p);
  if (n < 1) return null;
  return "(hd" + disk + "," + (n - 1).toString() + ")";
}

// "(hd0,0)" -> "hd0,msdos1" (or gpt1, by the disk's table); "(hd1)" -> "hd1".
export function grubDevice(pvboot: string): string {
  const dp = parseDevPath(pvboot);
  if (dp.error != null || dp.disk < 0) return pvboot;
  if (dp.part < 0) return "hd" + dp.disk.toString();
  const t = partitionTable(<u32>dp.disk);
  const scheme = t != null && t!.scheme == "gpt" ? "gpt" : "msdos";
  return "hd" + dp.disk.toString() + "," + scheme + (dp.part + 1).toString();
}

export class GrubPath {
  full: string = ""; // "(hd0,0)/boot/vmlinuz": pvboot's name
  error: string | null = null;
}

// A file name in a grub.cfg to pvboot's name, on `root` (a GRUB 2 name) when it has no device.
export function resolveGrubPath(name: string, root: string): GrubPath {
  const r = new GrubPath();
  let dev = root;
  let path = name;
  if (name.startsWith("(")) {
    const close = name.indexOf(")");
    if (close < 0) {
      r.error = "'" + name + "': no ')' closing the device";
      return r;
    }
    dev = name.substring(1, close);
    path = name.substring(close + 1);
    if (path.length == 0) path = "/";
  }
  if (!path.startsWith("/")) {
    r.error = "'" + name + "': not a path (a file is /path or (device)/path)";
    return r;
  }
  if (dev.length == 0) {
    r.error = "'" + name + "': no root device ($root is not set)";
    return r;
  }
  const pv = pvbootDevice(dev);
  if (pv == null) {
    r.error = "'" + name + "': device '" + dev + "' is not a disk pvboot knows (hdN or hdN,msdosM/gptM)";
    return r;
  }
  r.full = pv! + path;
  return r;
}
