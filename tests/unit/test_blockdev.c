/* Host tests for the block-device layer (drivers/block/blockdev.c) against a fake driver: what reaches a driver and
 * what is refused before it, that a request reads -EAGAIN until the driver ends it, and that a failure keeps its
 * errno and reason through the synchronous wrapper. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <ballast/errno.h>
#include "drivers/block/blockdev.h"

/* The fake: one request at a time, ended after polls_needed polls with the status the test chose. */
static struct fake {
	struct blockdev_request *busy;
	unsigned submits, polls, polls_needed;
	int end_with;	   /* 0 or a negative errno */
	int refuse_with;   /* nonzero: submit refuses, without ending the request (the layer must end it) */
} fake;

static int fake_submit(struct blockdev *dev, struct blockdev_request *req)
{
	fake.submits++;
	if (fake.refuse_with)
		return fake.refuse_with;
	fake.busy = req;
	return 0;
}

static void fake_poll(struct blockdev *dev)
{
	if (!fake.busy || ++fake.polls < fake.polls_needed)
		return;
	struct blockdev_request *req = fake.busy;
	fake.busy = 0;
	if (fake.end_with) {
		blockdev_fail(req, fake.end_with, "fake failure at page %llu", (unsigned long long)req->first_page);
	} else {
		req->pages_done = req->npages;
		blockdev_end(req, 0);
	}
}

static const struct blockdev_ops fake_ops = { .submit = fake_submit, .poll = fake_poll };

/* 1001 sectors of 512 bytes: 125 whole pages, the last partial page unused. */
static struct blockdev disk = { .name = "fake0", .sector_size = 512, .nsectors = 1001, .ops = &fake_ops };
static mpn_t pages[4] = { MPN(10), MPN(20), MPN(30), MPN(40) };

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	fake.polls_needed = 3;
	return 0;
}

static void registry_checks_sector_size_and_counts_pages(void **state)
{
	struct blockdev odd = { .name = "odd", .sector_size = 520, .nsectors = 10, .ops = &fake_ops };
	struct blockdev big = { .name = "big", .sector_size = 8192, .nsectors = 10, .ops = &fake_ops };
	struct blockdev none = { .name = "none", .sector_size = 512, .nsectors = 10 };
	struct blockdev native = { .name = "4k", .sector_size = 4096, .nsectors = 7, .ops = &fake_ops };

	assert_int_equal(blockdev_register(&odd), -EINVAL);
	assert_int_equal(blockdev_register(&big), -EINVAL);
	assert_int_equal(blockdev_register(&none), -EINVAL);
	assert_int_equal(blockdev_register(&disk), 0);
	assert_int_equal(disk.npages, 125);
	assert_int_equal(blockdev_register(&native), 0);
	assert_int_equal(native.npages, 7);
	assert_int_equal(blockdev_count(), 2);
	assert_ptr_equal(blockdev_get(0), &disk);
	assert_null(blockdev_get(2));
}

static void refused_before_the_driver(void **state)
{
	struct blockdev_request req = { .dir = BLOCKDEV_WRITE, .first_page = 0, .npages = 0, .pages = pages };

	assert_int_equal(blockdev_submit(&disk, &req), -EINVAL);
	assert_int_equal(req.status, -EINVAL);
	req = (struct blockdev_request){ .dir = BLOCKDEV_WRITE, .npages = 1 };
	assert_int_equal(blockdev_submit(&disk, &req), -EINVAL);

	/* One past the end, a run over the end, and a start so large that first + n would wrap. */
	req = (struct blockdev_request){ .dir = BLOCKDEV_WRITE, .first_page = 125, .npages = 1, .pages = pages };
	assert_int_equal(blockdev_submit(&disk, &req), -ERANGE);
	assert_non_null(strstr(req.why, "beyond the device's 125 pages"));
	req = (struct blockdev_request){ .dir = BLOCKDEV_WRITE, .first_page = 122, .npages = 4, .pages = pages };
	assert_int_equal(blockdev_submit(&disk, &req), -ERANGE);
	req = (struct blockdev_request){ .dir = BLOCKDEV_WRITE, .first_page = UINT64_MAX, .npages = 2, .pages = pages };
	assert_int_equal(blockdev_submit(&disk, &req), -ERANGE);

	mpn_t holes[2] = { MPN(5), MPN_INVALID };
	req = (struct blockdev_request){ .dir = BLOCKDEV_READ, .first_page = 0, .npages = 2, .pages = holes };
	assert_int_equal(blockdev_submit(&disk, &req), -EFAULT);
	assert_int_equal(fake.submits, 0);
}

static void in_flight_until_the_driver_ends_it(void **state)
{
	struct blockdev_request req = { .dir = BLOCKDEV_READ, .first_page = 121, .npages = 4, .pages = pages };

	assert_int_equal(blockdev_submit(&disk, &req), 0); /* the last four pages: in range */
	assert_int_equal(fake.submits, 1);
	assert_int_equal(blockdev_poll(&req), -EAGAIN);
	assert_int_equal(blockdev_poll(&req), -EAGAIN);
	assert_int_equal(blockdev_poll(&req), 0);
	assert_int_equal(req.pages_done, 4);
	assert_int_equal(blockdev_poll(&req), 0); /* an ended request stays ended; the driver is not asked again */
	assert_int_equal(fake.polls, 3);
}

static void failure_keeps_errno_and_reason(void **state)
{
	struct blockdev_request req = { .dir = BLOCKDEV_WRITE, .first_page = 7, .npages = 1, .pages = pages };

	fake.end_with = -EIO;
	assert_int_equal(blockdev_rw_sync(&disk, &req), -EIO);
	assert_int_equal(req.status, -EIO);
	assert_string_equal(req.why, "fake failure at page 7");
	assert_int_equal(req.pages_done, 0);
}

static void a_refusing_driver_still_ends_the_request(void **state)
{
	struct blockdev_request req = { .dir = BLOCKDEV_WRITE, .first_page = 0, .npages = 1, .pages = pages };

	fake.refuse_with = -EBUSY;
	assert_int_equal(blockdev_submit(&disk, &req), -EBUSY);
	assert_int_equal(req.status, -EBUSY); /* never left at -EAGAIN for a caller to poll forever */
	assert_int_equal(blockdev_poll(&req), -EBUSY);
	assert_int_equal(fake.polls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(registry_checks_sector_size_and_counts_pages, setup),
		cmocka_unit_test_setup(refused_before_the_driver, setup),
		cmocka_unit_test_setup(in_flight_until_the_driver_ends_it, setup),
		cmocka_unit_test_setup(failure_keeps_errno_and_reason, setup),
		cmocka_unit_test_setup(a_refusing_driver_still_ends_the_request, setup),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
