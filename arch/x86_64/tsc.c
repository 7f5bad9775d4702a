#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"

#define PIT_HZ 1193182
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PORT_B 0x61	    /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATE_MS 50

uint64_t tsc_hz;

uint64_t tsc_calibrate(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;

	/* Channel 2, gate on, speaker off; mode 0 (interrupt on terminal count): output rises when count reaches 0. */
	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
	outb(PIT_COMMAND, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	uint64_t start = rdtsc();
	for (uint64_t spins = 0; !(inb(PORT_B) & 0x20); spins++)
		if (spins > 100000000)
			break; /* no PIT: keep whatever we measured, the caller reports it */
	uint64_t end = rdtsc();
	tsc_hz = (end - start) * 1000 / CALIBRATE_MS;
	return tsc_hz;
}
