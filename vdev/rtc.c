#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "kernel/vm.h"
#include "vdev/rtc.h"

#define RTC_SECONDS 0x00
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_STATUS_C 0x0c
#define RTC_STATUS_D 0x0d
#define RTC_CENTURY 0x32
#define STATUS_A_UIP 0x80
#define STATUS_D_VRT 0x80 /* valid RAM and time */

static uint8_t host_cmos_read(uint8_t reg)
{
	outb(0x70, reg | 0x80); /* keep host NMIs masked while we look */
	return inb(0x71);
}

/* Time registers are read from the host only between updates, as a careful OS would. */
static uint8_t host_time_register(uint8_t reg)
{
	for (int tries = 0; tries < 1000 && (host_cmos_read(RTC_STATUS_A) & STATUS_A_UIP); tries++)
		cpu_relax();
	return host_cmos_read(reg);
}

static void rtc_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct vrtc *rtc = dev;

	if (port == 0x70) {
		if (in)
			*val = rtc->index;
		else
			rtc->index = *val & 0x7f; /* bit 7 is the NMI mask: guests have no NMI source here */
		return;
	}
	uint8_t r = rtc->index;
	if (!in) {
		if (r > RTC_STATUS_D && r != RTC_CENTURY)
			rtc->nvram[r] = *val;
		return;
	}
	if (r <= RTC_YEAR || r == RTC_CENTURY)
		*val = host_time_register(r);
	else if (r == RTC_STATUS_A)
		*val = 0x26; /* 32.768 kHz time base, 1024 Hz rate, no update in progress */
	else if (r == RTC_STATUS_B)
		*val = host_cmos_read(RTC_STATUS_B) & 0x06; /* the host's data format (BCD/binary, 12/24 h), no IRQs */
	else if (r == RTC_STATUS_C)
		*val = 0;
	else if (r == RTC_STATUS_D)
		*val = STATUS_D_VRT;
	else
		*val = rtc->nvram[r];
}

void vrtc_register(struct vm *vm)
{
	memset(&vm->rtc, 0, sizeof(vm->rtc));
	pio_register(&vm->pio, 0x70, 0x71, rtc_io, &vm->rtc, "rtc");
}
