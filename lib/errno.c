/* Names for error codes, so logs say "ENOMEM" instead of -12. */
#include <ballast/compiler.h>
#include <ballast/errno.h>

static const char *const names[] = {
	[EPERM] = "EPERM",   [ENOENT] = "ENOENT", [EIO] = "EIO",	   [E2BIG] = "E2BIG", [EAGAIN] = "EAGAIN",
	[ENOEXEC] = "ENOEXEC", [ENOMEM] = "ENOMEM", [EFAULT] = "EFAULT",   [EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST", [EINVAL] = "EINVAL", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC",   [ERANGE] = "ERANGE",
	[ENOSYS] = "ENOSYS", [EPROTO] = "EPROTO", [ENOTSUP] = "ENOTSUP",
};

const char *errno_name(int err)
{
	if (err < 0)
		err = -err;
	if ((unsigned)err < ARRAY_SIZE(names) && names[err])
		return names[err];
	return "E?";
}
