#include <ballast/cmdline.h>

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void copy_word(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	while (s[i] && s[i] != ' ' && s[i] != '\t' && i + 1 < n) {
		buf[i] = s[i];
		i++;
	}
	if (n)
		buf[i] = '\0';
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t n)
{
	if (!cmdline)
		return false;
	for (const char *w = skip_spaces(cmdline); *w; w = skip_spaces(w)) {
		size_t k = 0;
		while (key[k] && w[k] == key[k])
			k++;
		if (!key[k] && (w[k] == '=' || w[k] == ' ' || w[k] == '\t' || w[k] == '\0')) {
			copy_word(w[k] == '=' ? w + k + 1 : w + k, buf, n);
			if (w[k] != '=' && n)
				buf[0] = '\0';
			return true;
		}
		while (*w && *w != ' ' && *w != '\t')
			w++;
	}
	return false;
}

void cmdline_first_word(const char *cmdline, char *buf, size_t n)
{
	copy_word(cmdline ? skip_spaces(cmdline) : "", buf, n);
}
