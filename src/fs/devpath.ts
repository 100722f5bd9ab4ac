// GRUB legacy file names: "(hd0,0)/boot/vmlinuz", "(hd1)/grub/menu.lst", or "/boot/x" on the
// current root.

export class DevPath {
  disk: i32 = -1; // -1: no device given
  part: i32 = -1; // -1: the whole disk
  path: string = "/";
  error: string | null = null;
}

export function parseDevPath(s: string): DevPath {
  const r = new DevPath();
  let rest = s;
  if (s.startsWith("(")) {
    const close = s.indexOf(")");
    if (close < 0) {
      r.error = "'" + s + "': no ')' closing the device";
      return r;
    }
    const dev = s.substring(1, close);
    rest = s.substring(close + 1);
    const parts = dev.split(",");
    if (parts[0] == "nd") {
      r.error = "(nd): network boot is not supported";
      return r;
    }
    if (!parts[0].startsWith("hd") || parts[0].length < 3 || !digits(parts[0].substring(2))) {
      r.error = "'(" + dev + ")': not a disk name like (hd0) or (hd0,0)";
      return r;
    }
    r.disk = I32.parseInt(parts[0].substring(2));
    if (parts.length >= 2) {
      if (!digits(parts[1])) {
        r.error = "'(" + dev + ")': the partition must be a number (0 is the first)";
        return r;
      }
      r.part = I32.parseInt(parts[1]);
    }
    if (parts.length >= 3) {
      r.error = "'(" + dev + ")': BSD disklabel partitions are not supported";
      return r;
    }
    if (r.disk > 255 || r.part > 255) {
      r.error = "'(" + dev + ")': no such device";
      return r;
    }
  }
  r.path = rest.length == 0 ? "/" : rest;
  if (!r.path.startsWith("/")) r.error = "'" + s + "': the path must start with '/'";
  return r;
}

function digits(s: string): bool {
  if (s.length == 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
