// The guest's grant table (version 1) as Xen keeps it: the shared frames the guest writes its
// entries into, and the backend side of GNTTABOP_map_grant_ref / unmap_grant_ref with Xen's
// checks. Written from the public ABI (grant_table.h) and Xen's documented behaviour.
//
// Entry v1 (8 bytes, 512 to a frame): u16 flags @0, u16 domid @2, u32 frame @4.
// The guest grants by writing frame and domid, then (after a write barrier) flags; it ends a
// grant by atomically taking flags to 0, which must fail while GTF_reading/GTF_writing are set.
// Xen sets those two bits while a backend holds a mapping, and clears them on the last unmap.
// Nothing here caches a view of a frame: every access goes through mem.view(mfn).

import { DOMID_XEN, type MachineMemory } from "./frames";
import { EINVAL, ENOSYS, PAGE } from "./abi";

export const GTF = { permit_access: 1, readonly: 4, reading: 8, writing: 16 } as const;
const GTF_type_mask = 3; // permit_access 1, accept_transfer 2 (v1 types)

// The status values of grant_table.h that these operations produce.
export const GNTST = {
  okay: 0, general_error: -1, bad_domain: -2, bad_gntref: -3, bad_handle: -4, bad_page: -9,
} as const;

export const ENTRY_SIZE = 8;
export const ENTRIES_PER_FRAME = PAGE / ENTRY_SIZE;
// Xen on x86 gives every domain one grant frame when it is created (INITIAL_NR_GRANT_FRAMES).
const INITIAL_FRAMES = 1;

// A backend's map or unmap was refused. Xen would answer with `status`; the emulator throws,
// so that a frontend bug fails the test loudly instead of turning into a quiet I/O error.
export class GrantError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "GrantError";
  }
}

interface Mapping { ref: number; mapper: number; readonly: boolean }

export class GrantTable {
  frames: number[] = []; // mfns of the shared frames, in table order; the guest may map these
  version: 1 | 2 = 1;
  readonly maxFrames: number;
  private nextMfn: number;
  private mappings = new Map<number, Mapping>(); // handle -> mapping
  private nextHandle = 1;

  constructor(private mem: MachineMemory, readonly guestDomid: number,
    opts: { maxFrames?: number; nextMfn?: number } = {}) {
    this.maxFrames = opts.maxFrames ?? 64; // xl's default max_grant_frames (Xen 4.17)
    this.nextMfn = opts.nextMfn ?? 0x7e000;
    this.grow(INITIAL_FRAMES);
  }

  // GNTTABOP_setup_table. Xen returns 0 from the hypercall and puts the outcome in op.status:
  // on success the first `nr` frames (growing the table, never shrinking it, old frames kept);
  // more than max_grant_frames gives GNTST_general_error, which is the number returned here.
  setupTable(nr: number): number[] | number {
    if (nr < 0 || nr > this.maxFrames) return GNTST.general_error;
    this.grow(nr);
    return this.frames.slice(0, nr);
  }

  // GNTTABOP_set_version, as Xen answers when booted with gnttab=max-ver:1: version 2 gives
  // -ENOSYS ("behave as before set_version was introduced"), anything but 1 or 2 -EINVAL.
  setVersion(v: number): number {
    if (v !== 1 && v !== 2) return -EINVAL;
    if (v === 2) return -ENOSYS;
    return 0;
  }

  // GNTTABOP_get_version.
  queryVersion(): number {
    return this.version;
  }

  // GNTTABOP_query_size.
  querySize(): { nr_frames: number; max_nr_frames: number; status: number } {
    return { nr_frames: this.frames.length, max_nr_frames: this.maxFrames, status: GNTST.okay };
  }

  get nrEntries(): number {
    return this.frames.length * ENTRIES_PER_FRAME;
  }

  // GNTTABOP_map_grant_ref from domain `mapper` (the backend), with Xen's checks. Returns the
  // granted machine frame and a handle for unmap. Throws GrantError when Xen would refuse.
  map(ref: number, mapper: number, readonly: boolean): { mfn: number; handle: number } {
    const what = `grant ref ${ref} of d${this.guestDomid}, mapped ${readonly ? "read-only" : "writable"} by d${mapper}`;
    if (!Number.isInteger(ref) || ref < 0 || ref >= this.nrEntries) {
      throw new GrantError(`${what}: beyond the table (${this.nrEntries} entries in ` +
        `${this.frames.length} frames)`, GNTST.bad_gntref);
    }
    const e = this.readEntry(ref);
    if ((e.flags & GTF_type_mask) !== GTF.permit_access) {
      throw new GrantError(`${what}: not granted (flags ${hex(e.flags)} lack GTF_permit_access)`, GNTST.general_error);
    }
    if (e.domid !== mapper) {
      throw new GrantError(`${what}: granted to d${e.domid}, not to d${mapper}`, GNTST.general_error);
    }
    if (!readonly && e.flags & GTF.readonly) {
      throw new GrantError(`${what}: the grant is GTF_readonly`, GNTST.general_error);
    }
    if (this.mem.owner(e.frame) !== this.guestDomid) {
      const owner = this.mem.owner(e.frame);
      throw new GrantError(`${what}: frame ${hex(e.frame)} is ` +
        (owner === undefined ? "no machine frame" : `owned by d${owner}, not by d${this.guestDomid}`), GNTST.bad_page);
    }
    this.setFlags(ref, GTF.reading | (readonly ? 0 : GTF.writing), true);
    const handle = this.nextHandle++;
    this.mappings.set(handle, { ref, mapper, readonly });
    return { mfn: e.frame, handle };
  }

  // GNTTABOP_unmap_grant_ref. Clears GTF_writing when no writable mapping of the ref is left
  // and GTF_reading when no mapping at all is left, as Xen does.
  unmap(handle: number): void {
    const m = this.mappings.get(handle);
    if (!m) throw new GrantError(`unmap of grant handle ${handle}, which maps nothing`, GNTST.bad_handle);
    this.mappings.delete(handle);
    const others = [...this.mappings.values()].filter((o) => o.ref === m.ref);
    let clear = 0;
    if (!others.some((o) => !o.readonly)) clear |= GTF.writing;
    if (others.length === 0) clear |= GTF.reading;
    if (clear) this.setFlags(m.ref, clear, false);
  }

  // Backend mappings still in place.
  liveMappings(): number {
    return this.mappings.size;
  }

  // The toolstack's reserved entries, as it wrote them at the domain's creation (seed).
  readonly seeded = new Map<number, { flags: number; domid: number; frame: number }>();

  // What libxl does for a PV domU before it runs (xc_dom_gnttab_seed): ref 0
  // (GNTTAB_RESERVED_CONSOLE) grants the console ring to the console backend, ref 1
  // (GNTTAB_RESERVED_XENSTORE) the xenstore ring to xenstored, frame and domid first, then
  // the flags. The next kernel's backends map the rings through them; the guest leaves
  // refs 0..7 alone.
  seed(ref: number, domid: number, frame: number): void {
    const { mfn, off } = this.locate(ref);
    const v = this.mem.view(mfn);
    v.setUint32(off + 4, frame, true);
    v.setUint16(off + 2, domid, true);
    v.setUint16(off, GTF.permit_access, true);
    this.seeded.set(ref, { flags: GTF.permit_access, domid, frame });
  }

  // Entries with GTF_permit_access set: what the guest has granted and not ended. The
  // toolstack's seeded entries count only when they no longer read as seeded.
  liveGrants(): number {
    let n = 0;
    for (let ref = 0; ref < this.nrEntries; ref++) {
      const e = this.readEntry(ref);
      const s = this.seeded.get(ref);
      if (s && s.flags === e.flags && s.domid === e.domid && s.frame === e.frame) continue;
      if ((e.flags & GTF_type_mask) === GTF.permit_access) n++;
    }
    return n;
  }

  // The entry as it is in memory now (for tests and diagnostics).
  readEntry(ref: number): { flags: number; domid: number; frame: number } {
    const { mfn, off } = this.locate(ref);
    const v = this.mem.view(mfn);
    return { flags: v.getUint16(off, true), domid: v.getUint16(off + 2, true), frame: v.getUint32(off + 4, true) };
  }

  private locate(ref: number): { mfn: number; off: number } {
    return { mfn: this.frames[Math.floor(ref / ENTRIES_PER_FRAME)], off: (ref % ENTRIES_PER_FRAME) * ENTRY_SIZE };
  }

  // Xen updates the status bits with atomic or/and on the flags word; JS is single-threaded,
  // so a read-modify-write of the live frame is the same thing here.
  private setFlags(ref: number, bits: number, on: boolean): void {
    const { mfn, off } = this.locate(ref);
    const v = this.mem.view(mfn);
    const flags = v.getUint16(off, true);
    v.setUint16(off, on ? flags | bits : flags & ~bits, true);
  }

  // Add zeroed Xen-owned frames until the table has `nr`.
  private grow(nr: number): void {
    while (this.frames.length < nr) {
      const mfn = this.nextMfn++;
      this.mem.add(mfn, DOMID_XEN); // a fresh frame of its own is zeroed
      this.frames.push(mfn);
    }
  }
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}
