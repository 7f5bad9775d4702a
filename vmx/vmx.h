/* VT-x: detection now; VMXON, VMCS and the exit loop arrive with the guest work. */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "vmx/vmx_caps.h"

extern struct vmx_caps vmx_caps;

/* Check CPUID, firmware enablement and capabilities, print the summary.  0, or -ENOTSUP with the reason printed. */
int vmx_detect(void);
/* Enter VMX root operation on this CPU (VMXON); after vmx_detect() succeeded. */
int vmx_cpu_enable(void);

#endif
