/*
 * A completion's Status Field in words: the Status Code Type and Status Code as numbers (always), the name the base
 * specification gives them (NVMe 1.4 §4.6.1.2, Figures 128-131) for the ones a block driver meets, and Do Not Retry.
 */
#include <ballast/format.h>
#include "drivers/block/nvme_internal.h"

struct status_name {
	uint8_t sct, sc;
	const char *name;
};

static const struct status_name names[] = {
	/* Generic Command Status (Figure 128), NVM command set values from 80h (Figure 129) */
	{ NVME_SCT_GENERIC, 0x01, "Invalid Command Opcode" },
	{ NVME_SCT_GENERIC, 0x02, "Invalid Field in Command" },
	{ NVME_SCT_GENERIC, 0x03, "Command ID Conflict" },
	{ NVME_SCT_GENERIC, 0x04, "Data Transfer Error" },
	{ NVME_SCT_GENERIC, 0x05, "Commands Aborted due to Power Loss Notification" },
	{ NVME_SCT_GENERIC, 0x06, "Internal Error" },
	{ NVME_SCT_GENERIC, 0x07, "Command Abort Requested" },
	{ NVME_SCT_GENERIC, 0x08, "Command Aborted due to SQ Deletion" },
	{ NVME_SCT_GENERIC, 0x0b, "Invalid Namespace or Format" },
	{ NVME_SCT_GENERIC, 0x0c, "Command Sequence Error" },
	{ NVME_SCT_GENERIC, 0x13, "PRP Offset Invalid" },
	{ NVME_SCT_GENERIC, 0x15, "Operation Denied" },
	{ NVME_SCT_GENERIC, 0x20, "Namespace is Write Protected" },
	{ NVME_SCT_GENERIC, 0x21, "Command Interrupted" },
	{ NVME_SCT_GENERIC, 0x22, "Transient Transport Error" },
	{ NVME_SCT_GENERIC, 0x80, "LBA Out of Range" },
	{ NVME_SCT_GENERIC, 0x81, "Capacity Exceeded" },
	{ NVME_SCT_GENERIC, 0x82, "Namespace Not Ready" },
	{ NVME_SCT_GENERIC, 0x83, "Reservation Conflict" },
	{ NVME_SCT_GENERIC, 0x84, "Format In Progress" },
	/* Command Specific Status (Figure 130): the ones the queue-creation commands return */
	{ NVME_SCT_COMMAND_SPECIFIC, 0x00, "Completion Queue Invalid" },
	{ NVME_SCT_COMMAND_SPECIFIC, 0x01, "Invalid Queue Identifier" },
	{ NVME_SCT_COMMAND_SPECIFIC, 0x02, "Invalid Queue Size" },
	{ NVME_SCT_COMMAND_SPECIFIC, 0x08, "Invalid Interrupt Vector" },
	{ NVME_SCT_COMMAND_SPECIFIC, 0x82, "Attempted Write to Read Only Range" },
	/* Media and Data Integrity Errors (Figure 131) */
	{ NVME_SCT_MEDIA, 0x80, "Write Fault" },
	{ NVME_SCT_MEDIA, 0x81, "Unrecovered Read Error" },
	{ NVME_SCT_MEDIA, 0x82, "End-to-end Guard Check Error" },
	{ NVME_SCT_MEDIA, 0x83, "End-to-end Application Tag Check Error" },
	{ NVME_SCT_MEDIA, 0x84, "End-to-end Reference Tag Check Error" },
	{ NVME_SCT_MEDIA, 0x85, "Compare Failure" },
	{ NVME_SCT_MEDIA, 0x86, "Access Denied" },
	{ NVME_SCT_MEDIA, 0x87, "Deallocated or Unwritten Logical Block" },
};

static const char *const type_names[8] = {
	[NVME_SCT_GENERIC] = "generic", [NVME_SCT_COMMAND_SPECIFIC] = "command specific",
	[NVME_SCT_MEDIA] = "media error", [NVME_SCT_PATH] = "path error", [NVME_SCT_VENDOR] = "vendor specific",
};

void nvme_status_describe(char *buf, size_t n, uint16_t status)
{
	uint32_t sct = nvme_status_sct(status), sc = nvme_status_sc(status);
	const char *name = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names) && !name; i++)
		if (names[i].sct == sct && names[i].sc == sc)
			name = names[i].name;
	if (!name)
		name = type_names[sct] ? type_names[sct] : "reserved status code type";
	fmt_snprintf(buf, n, "status 0x%x/0x%02x (%s%s)", sct, sc, name,
		     status & NVME_STATUS_DNR ? ", do not retry" : "");
}
