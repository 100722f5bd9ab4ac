// The domain's command line as words; pvboot's own options are "pvboot.NAME=VALUE".

export function cmdlineWords(p: usize, n: u32): string[] {
  const words: string[] = [];
  let i: u32 = 0;
  while (i < n) {
    while (i < n && load<u8>(p + i) == 0x20) i++;
    const start = i;
    while (i < n && load<u8>(p + i) != 0x20) i++;
    if (i > start) words.push(String.UTF8.decodeUnsafe(p + start, i - start));
  }
  return words;
}

// The value of option `name` ("pvboot.debug" for "pvboot.debug=trap"), or null.
export function option(words: string[], name: string): string | null {
  const prefix = name + "=";
  for (let i = 0; i < words.length; i++) {
    if (words[i].startsWith(prefix)) return words[i].substring(prefix.length);
  }
  return null;
}
