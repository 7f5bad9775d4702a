/* Host tests for the page hash and the zero-page test (mm/pagehash.c), and the pseudo-random generator. */
#include "mm_test.h"
#include "mm/pagehash.h"

static uint64_t page[512], other[512];

static void hash_depends_on_every_word_and_position(void **state)
{
	memset(page, 0, sizeof(page));
	uint64_t zero = pagehash(page);
	for (unsigned i = 0; i < 512; i += 37) { /* any single changed word changes the hash */
		page[i] = 1;
		assert_int_not_equal(pagehash(page), zero);
		page[i] = 0;
	}
	for (unsigned i = 0; i < 512; i++)
		page[i] = i * 0x9e3779b97f4a7c15ULL + 1;
	memcpy(other, page, sizeof(page));
	assert_int_equal(pagehash(page), pagehash(other)); /* deterministic */
	/* Swapping two 16-byte chunks of one lane (a weakness of plain xor-accumulating hashes) is seen. */
	uint64_t t0 = other[0], t1 = other[1];
	other[0] = other[8], other[1] = other[9], other[8] = t0, other[9] = t1;
	assert_int_not_equal(pagehash(page), pagehash(other));
	/* Low collision count over many similar pages (the top 48 bits are what the table keeps). */
	enum { N = 4096 };
	static uint64_t h[N];
	unsigned dup = 0;
	for (unsigned n = 0; n < N; n++) {
		page[n % 512] = (n + 1) * 0xbf58476d1ce4e5b9ULL; /* a value no earlier step wrote */
		h[n] = pagehash(page) & SF_KEY_MASK;
		for (unsigned m = 0; m < n; m++)
			dup += h[m] == h[n];
	}
	assert_int_equal(dup, 0);
}

static void zero_test(void **state)
{
	memset(page, 0, sizeof(page));
	assert_true(page_is_zero(page));
	page[511] = 1;
	assert_false(page_is_zero(page));
	page[511] = 0, page[0] = 1ULL << 63;
	assert_false(page_is_zero(page));
}

static void rng_uniform_and_replayable(void **state)
{
	struct mm_rng a = { 42 }, b = { 42 };
	unsigned bins[10] = { 0 };
	for (int i = 0; i < 100000; i++) {
		uint64_t x = rng_below(&a, 10);
		assert_true(x < 10);
		bins[x]++;
		assert_int_equal(x, rng_below(&b, 10));
	}
	for (int i = 0; i < 10; i++)
		assert_true(bins[i] > 9500 && bins[i] < 10500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_depends_on_every_word_and_position),
		cmocka_unit_test(zero_test),
		cmocka_unit_test(rng_uniform_and_replayable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
