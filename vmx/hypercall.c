/*
 * Hypercalls (include/uapi/ballast_hypercall.h): VMCALL from the guest kernel, the balloon driver's channel.
 *
 * Nothing the guest passes is trusted.  Every call is checked at call level first (ring, handshake, batch address
 * and count) and changes nothing when that fails; a batch is copied out of guest memory once, so the guest cannot
 * change entries while they are being processed, and each entry is validated by the memory manager, which refuses a
 * bad PPN without side effects (SPEC §2.3).  Statuses are written back in one copy.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include <uapi/ballast_hypercall.h>
#include "arch/x86_64/tsc.h"
#include "kernel/hv_mm.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vmx/exit.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"

_Static_assert(sizeof(struct ballast_batch_entry) * BALLAST_BATCH_MAX == PAGE_SIZE, "a batch fills one page");
_Static_assert(BALLAST_REPORT_RUN_MAX == MM_REPORT_RUN_MAX, "the ABI's run limit is the memory manager's");
/* The ABI's error numbers are ballast's own errno values, so mm core errors pass through unchanged. */
_Static_assert(BALLAST_EFAULT == EFAULT && BALLAST_EEXIST == EEXIST && BALLAST_ENOENT == ENOENT &&
		       BALLAST_EPERM == EPERM && BALLAST_ENOSPC == ENOSPC && BALLAST_E2BIG == E2BIG &&
		       BALLAST_EPROTO == EPROTO && BALLAST_EINVAL == EINVAL && BALLAST_ENOSYS == ENOSYS,
	       "hypercall errors are errno values");

static const char *const call_names[] = {
	[BALLAST_HC_VERSION] = "VERSION", [BALLAST_HC_GET_TARGET] = "GET_TARGET", [BALLAST_HC_LOCK] = "LOCK",
	[BALLAST_HC_UNLOCK] = "UNLOCK",	  [BALLAST_HC_STATS] = "STATS",	    [BALLAST_HC_REPORT] = "REPORT",
};

static struct ballast_batch_entry batch[BALLAST_BATCH_MAX]; /* one CPU: one batch in flight */

static int64_t hc_version(struct vm *vm, struct guest_regs *g)
{
	if (g->rbx != BALLAST_ABI_VERSION)
		return -EINVAL;
	vm->vcpu.hc_ready = true;
	mm_balloon_connect(&hv_mm, vm->mm);
	g->rbx = BALLAST_ABI_VERSION;
	g->rcx = vm->npages;
	g->rdx = BALLAST_BATCH_MAX;
	return 0;
}

static int64_t hc_get_target(struct vm *vm, struct guest_regs *g)
{
	g->rbx = mm_balloon_target(&hv_mm, vm->mm);
	g->rcx = mm_balloon_size(vm->mm);
	g->rdx = mm_balloon_cap(&hv_mm, vm->mm);
	return 0;
}

/*
 * LOCK, UNLOCK and REPORT: the batch is copied out once, the entries the call itself must refuse (npages where it
 * must be 0, the batch page itself) get their status here, and the rest go to the memory manager in one call,
 * which changes the EPT with one invalidation for the whole batch (STYLE: batches stay batches).
 */
static ppn_t batch_ppns[BALLAST_BATCH_MAX];
static int32_t batch_status[BALLAST_BATCH_MAX];
static struct mm_ppn_run batch_runs[BALLAST_BATCH_MAX];
static unsigned batch_slot[BALLAST_BATCH_MAX]; /* batch entry of each PPN or run handed to the core */

/* Not an answer: the batch page is not in memory right now (being read back from swap, or no machine page free).
 * The VMCALL is not completed; the guest runs it again after a short wait, exactly as it would retry a faulting
 * instruction, and nothing has changed meanwhile (the batch is read before anything is done). */
#define HC_RETRY INT64_MIN
#define HC_RETRY_NS 100000ULL

static int64_t hc_batch(struct vm *vm, struct guest_regs *g, uint64_t nr)
{
	uint64_t gpa = g->rbx, n = g->rcx;
	ppn_t batch_ppn = gpa_to_ppn(gpa);
	unsigned m = 0, done = 0;
	int64_t released = 0;
	int err;

	if ((gpa & (PAGE_SIZE - 1)) || gpa >= vm->mem_bytes)
		return -EINVAL;
	if (n == 0 || n > BALLAST_BATCH_MAX)
		return -E2BIG;
	if ((err = vm_read(vm, gpa, batch, n * sizeof(batch[0]))) < 0)
		return err == -EAGAIN || err == -ENOMEM || err == -EBUSY ? HC_RETRY : -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct ballast_batch_entry *b = &batch[i];
		bool report = nr == BALLAST_HC_REPORT;
		if (report ? b->npages == 0 || b->npages > BALLAST_REPORT_RUN_MAX : b->npages != 0)
			b->status = -EINVAL; /* before the batch-page check: a bad length is the entry's first error */
		else if (b->ppn <= batch_ppn.v && batch_ppn.v < b->ppn + (report ? b->npages : 1))
			b->status = -EPERM; /* the batch page carries this very call */
		else if (report)
			batch_slot[m] = i, batch_runs[m++] = (struct mm_ppn_run){ .first = PPN(b->ppn), .npages = b->npages };
		else
			batch_slot[m] = i, batch_ppns[m++] = PPN(b->ppn);
	}
	if (nr == BALLAST_HC_REPORT) {
		released = m ? mm_balloon_report_runs(&hv_mm, vm->mm, batch_runs, m) : 0;
		for (unsigned j = 0; j < m; j++)
			batch[batch_slot[j]].status = batch_runs[j].status;
	} else if (m) {
		if (nr == BALLAST_HC_LOCK)
			mm_balloon_lock_each(&hv_mm, vm->mm, batch_ppns, m, batch_status);
		else
			mm_balloon_unlock_each(&hv_mm, vm->mm, batch_ppns, m, batch_status);
		for (unsigned j = 0; j < m; j++)
			batch[batch_slot[j]].status = batch_status[j];
	}
	for (unsigned i = 0; i < n; i++)
		done += batch[i].status == 0;
	/* Writing the statuses back may break copy-on-write of the batch page; it cannot be ballooned (above). */
	if ((err = vm_write(vm, gpa, batch, n * sizeof(batch[0]))) < 0)
		return err;
	g->rbx = nr == BALLAST_HC_REPORT ? (uint64_t)released : done;
	return done == n ? 0 : -EAGAIN;
}

static int64_t hc_stats(struct vm *vm, struct guest_regs *g)
{
	vm->guest_stats.free_pages = g->rbx;
	vm->guest_stats.available_pages = g->rcx;
	vm->guest_stats.balloon_pages = g->rdx;
	vm->guest_stats.alloc_failures = g->rsi;
	vm->guest_stats.reports++;
	mm_guest_stats(&hv_mm, vm->mm, g->rbx, g->rcx, g->rdi);
	return 0;
}

enum exit_action handle_vmcall(struct vm *vm, const struct exit_info *e)
{
	struct guest_regs *g = &vm->vcpu.regs;
	unsigned cpl = (vmread(VMCS_GUEST_SS_AR) >> 5) & 3;
	uint64_t nr = g->rax;
	int64_t rc;

	vm->stats.hypercalls++;
	if (cpl != 0)
		rc = -EPERM;
	else if (nr > BALLAST_HC_MAX)
		rc = -ENOSYS;
	else if (nr != BALLAST_HC_VERSION && !vm->vcpu.hc_ready)
		rc = -EPROTO;
	else if (nr == BALLAST_HC_VERSION)
		rc = hc_version(vm, g);
	else if (nr == BALLAST_HC_GET_TARGET)
		rc = hc_get_target(vm, g);
	else if (nr == BALLAST_HC_LOCK || nr == BALLAST_HC_UNLOCK || nr == BALLAST_HC_REPORT)
		rc = hc_batch(vm, g, nr);
	else
		rc = hc_stats(vm, g);
	if (rc == HC_RETRY) {
		vm->wait_until_tsc = rdtsc() + ns_to_tsc(HC_RETRY_NS);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(vm, e);
	g->rax = (uint64_t)rc;
	/* Partial batches are routine (the guest reads each status); anything else is worth a (bounded) log line. */
	if (rc < 0 && rc != -EAGAIN && vm->stats.hypercall_errors++ < 32)
		printk("vm %s: hypercall %s (%llu) refused: %s\n", vm->name,
		       nr <= BALLAST_HC_MAX ? call_names[nr] : "unknown", (unsigned long long)nr, errno_name((int)rc));
	return EXIT_RESUME;
}
