/* What boot/pvh's files share: the domain's memory map and the frames the shim placed in a
 * hole of it (shared_info, then the grant table's frames). */
#ifndef PVBOOT_PVH_H
#define PVBOOT_PVH_H

#include <stdint.h>
#include "hypercall.h"

#define PVH_MAX_E820 128
#define PVH_MAX_GNTTAB_FRAMES 64
/* The hole: shared_info at its first frame, grant table frame i at the next ones. */
#define PVH_HOLE_PAGES (1 + PVH_MAX_GNTTAB_FRAMES)

extern struct e820_entry pvh_e820[PVH_MAX_E820];
extern unsigned pvh_nr_e820;
extern unsigned long pvh_hole_pfn;
extern unsigned pvh_nr_gnttab_placed; /* grant frames placed at pvh_hole_pfn + 1 + i */
extern int pvh_shared_info_placed;

int pvh_ram_pfn(unsigned long pfn);     /* inside a RAM range of the memory map */
int pvh_frame_known(unsigned long gfn); /* in the memory map, or a frame the shim placed */
long pvh_add_to_physmap(uint32_t space, uint64_t idx, uint64_t gpfn);
long pvh_remove_from_physmap(uint64_t gpfn);

#endif
