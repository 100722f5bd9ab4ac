// Event channels as Xen keeps them for one guest: the 2-level ABI, with the pending and
// mask bits in the guest's shared_info frame, in its width's layout (x86_32: 1024 ports, the
// mask at 2176, a u32 selector at 4). A port bound to a backend calls it on send.

import { EINVAL, ENOSPC, SHINFO, SHINFO32 } from "./abi";
import type { MachineMemory } from "./frames";

export type PortState =
  | { kind: "unbound"; remote: number }
  | { kind: "interdomain"; remote: number; remotePort: number; backend: string; notify: () => void; onClose?: () => void };

export class EventChannels {
  ports = new Map<number, PortState>();
  sends = 0;

  constructor(private mem: MachineMemory, private sharedInfoMfn: number, private pv32 = false) {}

  get nrPorts(): number {
    return this.pv32 ? SHINFO32.nr_ports : SHINFO.nr_ports;
  }

  // The toolstack's side: a port already connected to a backend when the guest starts.
  connect(port: number, backend: string, remote: number, remotePort: number, notify: () => void): void {
    this.ports.set(port, { kind: "interdomain", remote, remotePort, backend, notify });
  }

  // A backend in domain `remote` binds to the guest's unbound port (EVTCHNOP_bind_interdomain
  // from its side). Returns its own port number, or -errno as Xen would.
  bindFromBackend(guestPort: number, remote: number, backend: string, notify: () => void, onClose?: () => void): number {
    const p = this.ports.get(guestPort);
    if (!p || p.kind !== "unbound" || p.remote !== remote) return -EINVAL;
    const remotePort = 100 + guestPort;
    this.ports.set(guestPort, { kind: "interdomain", remote, remotePort, backend, notify, onClose });
    return remotePort;
  }

  // The backend closes its end: the guest's port goes back to unbound (as Xen's
  // EVTCHNOP_close from the remote side), unless the guest closed or rebound it meanwhile.
  unbindFromBackend(guestPort: number, notify: () => void): void {
    const p = this.ports.get(guestPort);
    if (p && p.kind === "interdomain" && p.notify === notify) this.ports.set(guestPort, { kind: "unbound", remote: p.remote });
  }

  allocUnbound(remote: number): number {
    for (let p = 1; p < this.nrPorts; p++) {
      if (!this.ports.has(p)) {
        this.ports.set(p, { kind: "unbound", remote });
        return p;
      }
    }
    return -ENOSPC;
  }

  close(port: number): number {
    const p = this.ports.get(port);
    if (!p) return -EINVAL;
    this.ports.delete(port);
    if (p.kind === "interdomain") p.onClose?.();
    this.setBit(SHINFO.evtchn_pending, port, false);
    return 0;
  }

  // EVTCHNOP_status of one of the guest's ports: a port beyond the ABI's is -EINVAL; one not
  // allocated (port 0 among them, which Xen reserves) reads as closed. `a`, `b`: the union
  // (unbound: the remote domain; interdomain: the remote domain and its port).
  status(port: number): { status: number; a: number; b: number } | number {
    if (port >= this.nrPorts) return -EINVAL;
    const p = this.ports.get(port);
    if (!p) return { status: 0, a: 0, b: 0 };
    if (p.kind === "unbound") return { status: 1, a: p.remote, b: 0 };
    return { status: 2, a: p.remote, b: p.remotePort };
  }

  send(port: number): number {
    const p = this.ports.get(port);
    if (!p) return -EINVAL;
    this.sends++;
    if (p.kind === "interdomain") p.notify();
    return 0;
  }

  // A backend (or Xen) signals the guest's port: pending bit, then the selector and
  // upcall_pending unless the port is masked (Xen's evtchn_set_pending).
  raise(port: number): void {
    if (!this.ports.has(port)) return;
    if (this.bit(SHINFO.evtchn_pending, port)) return;
    this.setBit(SHINFO.evtchn_pending, port, true);
    if (this.bit(this.pv32 ? SHINFO32.evtchn_mask : SHINFO.evtchn_mask, port)) return;
    const v = this.mem.view(this.sharedInfoMfn);
    if (this.pv32) {
      v.setUint32(SHINFO32.pending_sel, (v.getUint32(SHINFO32.pending_sel, true) | (1 << (port >> 5))) >>> 0, true);
    } else {
      const sel = v.getBigUint64(SHINFO.pending_sel, true);
      v.setBigUint64(SHINFO.pending_sel, sel | (1n << BigInt(port >> 6)), true);
    }
    v.setUint8(SHINFO.upcall_pending, 1);
  }

  pending(port: number): boolean {
    return this.bit(SHINFO.evtchn_pending, port);
  }

  private bit(base: number, port: number): boolean {
    const b = this.mem.bytes(this.sharedInfoMfn);
    return ((b[base + (port >> 3)] >> (port & 7)) & 1) === 1;
  }

  private setBit(base: number, port: number, on: boolean): void {
    const b = this.mem.bytes(this.sharedInfoMfn);
    const i = base + (port >> 3);
    b[i] = on ? b[i] | (1 << (port & 7)) : b[i] & ~(1 << (port & 7));
  }
}
