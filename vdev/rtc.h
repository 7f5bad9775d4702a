/*
 * Virtual CMOS/RTC (ports 0x70/0x71, MC146818).  The time registers read the host's RTC at the moment of the read,
 * so guests boot with the right date; the guest cannot change the host clock (writes to them are dropped), and the
 * RTC interrupt (IRQ 8) is not provided: Linux does not need it when the TSC and PIT keep time.
 */
#ifndef VDEV_RTC_H
#define VDEV_RTC_H

#include <stdint.h>

struct vrtc {
	uint8_t index;
	uint8_t nvram[128]; /* registers the guest may write and read back (not time, not status) */
};

struct vm;
void vrtc_register(struct vm *vm);

#endif
