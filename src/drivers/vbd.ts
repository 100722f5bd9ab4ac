// Names for virtual block devices (docs/misc/vbd-interface.txt): the vbd id encodes the
// name the guest was promised, e.g. 51712 = xvda, 51728 = xvdb, (1<<28)|(27<<8) = xvdab.

function diskLetters(index: u32): string {
  let s = "";
  let n = index + 1;
  while (n > 0) {
    n--;
    s = String.fromCharCode(0x61 + <i32>(n % 26)) + s;
    n /= 26;
  }
  return s;
}

export function vbdName(id: u32): string {
  if ((id & (1 << 28)) != 0) return "xvd" + diskLetters((id >> 8) & 0xfffff);
  const major = id >> 8;
  const minor = id & 0xff;
  if (major == 202) return "xvd" + diskLetters(minor >> 4);
  if (major == 8) return "sd" + diskLetters(minor >> 4);
  if (major == 3) return "hd" + diskLetters(minor >> 6);
  if (major == 22) return "hd" + diskLetters(2 + (minor >> 6));
  return "vbd" + id.toString();
}
