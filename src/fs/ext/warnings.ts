// Warnings: problems that do not stop reading (a checksum mismatch, a journal not replayed).
// Kept in one list per mount, each text once, and bounded so a badly damaged filesystem
// cannot grow it without end.

export const MAX_WARNINGS: i32 = 32;

export function addWarning(list: string[], msg: string): void {
  if (list.length > MAX_WARNINGS) return;
  for (let i = 0; i < list.length; i++) if (list[i] == msg) return;
  if (list.length == MAX_WARNINGS) list.push("further warnings not shown");
  else list.push(msg);
}
