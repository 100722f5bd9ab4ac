// What the toolstack (xl, through libxl) leaves in xenstore for a PV domain before it runs:
// the domain's home directory with libxl's permissions, its disks' frontend and backend
// directories, and its PV console. Only the nodes a PV frontend and blkback look at, plus
// name, domid and the directories a guest is allowed to write to.
//
// Permissions as libxl sets them (ids: 0 = dom0, D = the guest, B = a device's backend):
//   /local/domain/D                      n0 rD   the guest may read its home, not write in it
//   .../D/{memory,control,device,...}    n0 rD
//   .../D/control/shutdown, data, ...    nD      owned by the guest
//   .../D/device/vbd/<devid>             nD rB   frontend: the guest's, the backend may read
//   .../D/console                        nB rD   console 0: the guest may only read
//   /local/domain/B/backend/vbd/D/<devid> nB rD   backend: the backend's, the guest may read
// Nodes written below a directory inherit its permissions (privileged writers keep the owner).

import type { Xenstored } from "./xenstored";

export interface ToolstackDisk {
  vdev: string; // "xvda"
  devid: number; // 51712; the encoding of vdev (see vbdDevid)
  backendDomid?: number; // 0
  mode?: "r" | "w"; // "w"
  params?: string; // what blkback is given to open (phy: a block device)
}

export interface ToolstackDomain {
  domid: number;
  name: string;
  disks: ToolstackDisk[];
  console?: { ringMfn: number; port: number; backendDomid?: number };
  store?: { ringMfn: number; port: number }; // recorded as store/ring-ref and store/port
  memoryKiB?: number; // memory/static-max and memory/target; 262144 (256 MiB) by default
}

const XenbusStateInitialising = "1";

// The vbd number xl writes for a virtual disk name (xen-vbd-interface(7)):
//   xvd, disk < 16 and partition < 16:  202 << 8 | disk << 4 | partition
//   xvd, beyond that:                    1 << 28 | disk << 8 | partition (disk < 2^20, partition < 256)
//   dNpM:                               as xvd
//   sd (disk < 16, partition < 16):       8 << 8 | disk << 4 | partition
//   hd (disk < 4, partition < 64):        3 << 8 | disk << 6 | partition for hda/hdb,
//                                        22 << 8 | (disk - 2) << 6 | partition for hdc/hdd
//   a plain number:                     itself
// Disk letters count like spreadsheet columns: a..z, aa..az, ba, ...
export function vbdDevid(vdev: string): number {
  const named = (prefix: string, maxDisk: number, maxPart: number): [number, number] | null => {
    if (!vdev.startsWith(prefix)) return null;
    const m = /^([a-z]+)(0|[1-9][0-9]*)?$/.exec(vdev.slice(prefix.length));
    if (!m) return null;
    let disk = -1;
    for (const ch of m[1]) {
      disk = (disk + 1) * 26 + (ch.charCodeAt(0) - 97);
      if (disk > maxDisk) return null;
    }
    const part = m[2] === undefined ? 0 : Number(m[2]);
    if (m[2] === "0" || part > maxPart) return null; // "xvda0" is not a name
    return [disk, part];
  };
  const xvd = (disk: number, part: number) =>
    disk <= 15 && part <= 15 ? ((202 << 8) | (disk << 4) | part) : (((1 << 28) | (disk << 8) | part) >>> 0);

  const d = /^d([0-9]+)p([0-9]+)$/.exec(vdev);
  if (d && Number(d[1]) < 1 << 20 && Number(d[2]) < 256) return xvd(Number(d[1]), Number(d[2]));
  const x = named("xvd", (1 << 20) - 1, 255);
  if (x) return xvd(...x);
  if (/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(vdev)) {
    const n = vdev.length > 1 && vdev[0] === "0" && !/^0x/i.test(vdev) ? parseInt(vdev, 8) : Number(vdev);
    if (n <= 0x7fffffff) return n;
  }
  const hd = named("hd", 3, 63);
  if (hd) return (((hd[0] < 2 ? 3 : 22) << 8) | ((hd[0] & 1) << 6) | hd[1]);
  const sd = named("sd", 15, 15);
  if (sd) return ((8 << 8) | (sd[0] << 4) | sd[1]);
  throw new Error(`toolstack: "${vdev}" is not a virtual disk name`);
}

// Make `path` anew: remove what was there, create it, give it `perms`.
function mknod(xs: Xenstored, path: string, perms: string[]): void {
  xs.rm(path);
  xs.mkdir(path);
  xs.setPerms(path, perms);
}

// Write each key below `dir`; with `perms`, set them on each key as well.
function writev(xs: Xenstored, dir: string, entries: [string, string][], perms?: string[]): void {
  for (const [key, value] of entries) {
    xs.write(`${dir}/${key}`, value);
    if (perms) xs.setPerms(`${dir}/${key}`, perms);
  }
}

// One device's frontend and backend directories, as libxl's generic device add lays them out.
function addDevice(
  xs: Xenstored,
  dev: { frontend: string; backend: string; domid: number; backendDomid: number; guestReadOnly: boolean },
  back: [string, string][],
  front: [string, string][],
  roFront: [string, string][] = [],
): void {
  const frontendPerms = [`n${dev.domid}`, `r${dev.backendDomid}`];
  const roFrontendPerms = [`n${dev.backendDomid}`, `r${dev.domid}`];
  const backendPerms = [`n${dev.backendDomid}`, `r${dev.domid}`];

  mknod(xs, dev.frontend, dev.guestReadOnly ? roFrontendPerms : frontendPerms);
  xs.write(`${dev.frontend}/backend`, dev.backend);
  writev(xs, dev.frontend, front, frontendPerms);
  writev(xs, dev.frontend, roFront, roFrontendPerms);

  mknod(xs, dev.backend, backendPerms);
  xs.write(`${dev.backend}/frontend`, dev.frontend);
  writev(xs, dev.backend, back);
}

export function toolstackCreate(xs: Xenstored, opts: ToolstackDomain): void {
  const { domid, name } = opts;
  const dom = `/local/domain/${domid}`;

  // What the host's own start-up (xen-init-dom0) wrote before any guest existed.
  if (xs.read("/local/domain/0") === null) writev(xs, "/local/domain/0", [["name", "Domain-0"], ["domid", "0"]]);

  // libxl__domain_make: the home directory and the places the guest may write.
  const ro = ["n0", `r${domid}`];
  const rw = [`n${domid}`];
  const uuid = `00000000-0000-4000-8000-${domid.toString(16).padStart(12, "0")}`;
  const vm = `/vm/${uuid}`;
  mknod(xs, dom, ro);
  mknod(xs, vm, ro);
  xs.write(`${dom}/vm`, vm);
  xs.write(`${dom}/name`, name);
  mknod(xs, `${dom}/memory`, ro);
  mknod(xs, `${dom}/device`, ro);
  mknod(xs, `${dom}/device/suspend/event-channel`, rw);
  mknod(xs, `${dom}/control`, ro);
  for (const key of ["shutdown", "feature-poweroff", "feature-reboot", "feature-suspend", "sysrq"]) {
    mknod(xs, `${dom}/control/${key}`, rw);
  }
  for (const dir of ["data", "drivers", "feature", "attr", "error"]) mknod(xs, `${dom}/${dir}`, rw);
  writev(xs, vm, [["uuid", uuid], ["name", name]]);
  writev(xs, `${dom}/control`, [["platform-feature-multiprocessor-suspend", "1"], ["platform-feature-xs_reset_watches", "1"]]);

  // libxl__build_post: memory, domid, the xenstore ring.
  const kib = String(opts.memoryKiB ?? 256 * 1024);
  writev(xs, dom, [["memory/static-max", kib], ["memory/target", kib], ["domid", String(domid)]]);
  if (opts.store) writev(xs, dom, [["store/port", String(opts.store.port)], ["store/ring-ref", String(opts.store.ringMfn)]]);

  // Disks (libxl's device_disk_add), backend type "phy".
  opts.disks.forEach((disk, i) => {
    const backendDomid = disk.backendDomid ?? 0;
    const mode = disk.mode ?? "w";
    addDevice(
      xs,
      {
        frontend: `${dom}/device/vbd/${disk.devid}`,
        backend: `/local/domain/${backendDomid}/backend/vbd/${domid}/${disk.devid}`,
        domid, backendDomid, guestReadOnly: false,
      },
      [
        ["params", disk.params ?? `/dev/loop${i}`],
        ["frontend-id", String(domid)],
        ["online", "1"],
        ["removable", "0"],
        ["bootable", "1"],
        ["state", XenbusStateInitialising],
        ["dev", disk.vdev],
        ["type", "phy"],
        ["mode", mode],
        ["device-type", "disk"],
        ["discard-enable", mode === "w" ? "1" : "0"],
      ],
      [
        ["backend-id", String(backendDomid)],
        ["state", XenbusStateInitialising],
        ["virtual-device", String(disk.devid)],
        ["device-type", "disk"],
        ["trusted", "1"],
        ["protocol", "x86_64-abi"], // for frontends too old to write it themselves
      ],
    );
  });

  // The PV console (console 0): the frontend directory is the backend's, read-only to the guest.
  if (opts.console) {
    const backendDomid = opts.console.backendDomid ?? 0;
    addDevice(
      xs,
      { frontend: `${dom}/console`, backend: `/local/domain/${backendDomid}/backend/console/${domid}/0`, domid, backendDomid, guestReadOnly: true },
      [["frontend-id", String(domid)], ["online", "1"], ["state", XenbusStateInitialising], ["protocol", "vt100"]],
      [["backend-id", String(backendDomid)]],
      [
        ["limit", "1048576"],
        ["type", "xenconsoled"],
        ["output", "pty"],
        ["tty", ""],
        ["port", String(opts.console.port)],
        ["ring-ref", String(opts.console.ringMfn)],
      ],
    );
  }
}
