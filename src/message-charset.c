/* Charset conversion of mail text to UTF-8, with guessing for mislabelled
   and unlabelled 8-bit text. */
#include "autodefs.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

#include <gmime/gmime.h>
#include <uchardet/uchardet.h>

#include "message.h"
#include "message-private.h"

/* Names seen in mail mapped to the superset iconv knows. */
static const struct {
	const char *name;
	const char *iconv;
} charset_aliases[] = {
	{ "gb2312", "GB18030" },
	{ "gb_2312-80", "GB18030" },
	{ "gbk", "GB18030" },
	{ "x-gbk", "GB18030" },
	{ "cp936", "GB18030" },
	{ "ms936", "GB18030" },
	{ "windows-936", "GB18030" },
	{ "euc-cn", "GB18030" },
	{ "x-euc-cn", "GB18030" },
	{ "csgb2312", "GB18030" },
	{ "chinese", "GB18030" },
	{ "gb18030", "GB18030" },
	{ "big5", "CP950" },
	{ "x-big5", "CP950" },
	{ "cn-big5", "CP950" },
	{ "csbig5", "CP950" },
	{ "cp950", "CP950" },
	{ "big5-hkscs", "BIG5-HKSCS" },
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "ksc5601", "CP949" },
	{ "ksc_5601", "CP949" },
	{ "euc-kr", "CP949" },
	{ "x-euc-kr", "CP949" },
	{ "korean", "CP949" },
	{ "shift_jis", "CP932" },
	{ "shift-jis", "CP932" },
	{ "sjis", "CP932" },
	{ "x-sjis", "CP932" },
	{ "ms_kanji", "CP932" },
	{ "windows-31j", "CP932" },
	{ "cp932", "CP932" },
	{ "iso-2022-jp", "ISO-2022-JP-3" },
	{ "us-ascii", "WINDOWS-1252" },
	{ "ascii", "WINDOWS-1252" },
	{ "ansi_x3.4-1968", "WINDOWS-1252" },
	{ "iso-8859-1", "WINDOWS-1252" },
	{ "iso8859-1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" },
	{ "latin1", "WINDOWS-1252" },
	{ "latin-1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" },
	{ "latin5", "WINDOWS-1254" },
	{ "tis-620", "CP874" },
	{ "iso-8859-11", "CP874" },
	{ "windows-874", "CP874" },
	{ "utf8", "UTF-8" },
	{ "utf-8", "UTF-8" },
	{ "unicode-1-1-utf-7", "UTF-7" },
	{ "utf-7", "UTF-7" },
};

/* Labels that say nothing about the bytes. */
static const char *const charset_unknown[] = {
	"unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined",
	"8bit", "binary", "none", "charset", "",
};

/* Return the iconv name for a declared charset, NULL when unknown/empty. */
static const char *
charset_resolve(const char *charset, char *buf, size_t bufsize)
{
	const char *p, *end, *name;
	size_t n, i;

	if (charset == NULL)
		return NULL;
	p = charset;
	while (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '"' || end[-1] == '\'' || end[-1] == ';'))
		end--;
	n = (size_t)(end - p);
	if (n == 0 || n >= bufsize)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* Names are ASCII letters, digits and -_.:() */
		if (!g_ascii_isalnum(c) && strchr("-_.:()", c) == NULL)
			return NULL;
		buf[i] = g_ascii_tolower(c);
	}
	buf[n] = '\0';

	for (i = 0; i < G_N_ELEMENTS(charset_unknown); i++)
		if (strcmp(buf, charset_unknown[i]) == 0)
			return NULL;
	for (i = 0; i < G_N_ELEMENTS(charset_aliases); i++)
		if (strcmp(buf, charset_aliases[i].name) == 0)
			return charset_aliases[i].iconv;
	name = g_mime_charset_iconv_name(buf);
	return name != NULL ? name : buf;
}

/* Single-byte charsets: valid multi-byte UTF-8 labelled as one of these is
   almost certainly mislabelled UTF-8. */
static gboolean
charset_is_single_byte(const char *iconv_name)
{
	static const char *const prefixes[] = {
		"ISO-8859", "ISO8859", "ISO_8859", "WINDOWS-125", "CP125",
		"KOI8", "US-ASCII", "ASCII", "ANSI_X3.4", "CP874", "CP437",
		"CP850", "IBM", "MAC", "LATIN", "TIS",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_ascii_strncasecmp(iconv_name, prefixes[i],
		    strlen(prefixes[i])) == 0)
			return TRUE;
	return FALSE;
}

/* Charsets in which pure 7-bit text is not ASCII. */
static gboolean
charset_is_stateful(const char *iconv_name)
{
	static const char *const prefixes[] = {
		"ISO-2022", "ISO2022", "UTF-7", "UTF7", "UTF-16", "UTF16",
		"UTF-32", "UTF32", "UCS", "HZ", "UNICODE",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_ascii_strncasecmp(iconv_name, prefixes[i],
		    strlen(prefixes[i])) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
text_is_ascii(const char *text, size_t len)
{
	size_t i = 0;

	/* eight bytes at a time: bodies are mostly ASCII */
	for (; i + 8 <= len; i += 8) {
		guint64 w;

		memcpy(&w, text + i, sizeof w);
		if (w & G_GUINT64_CONSTANT(0x8080808080808080))
			return FALSE;
	}
	for (; i < len; i++)
		if ((unsigned char)text[i] >= 0x80)
			return FALSE;
	return TRUE;
}

/*
 * Convert with iconv.  When lossy, invalid bytes become U+FFFD and are
 * counted in *errors_r; otherwise the first one fails.  Returns NULL when
 * the charset is unknown to iconv or (strict) the text does not convert.
 */
/* Per-thread cache of conversion descriptors to UTF-8: iconv_open()
   looks up and loads gconv modules, which cost more than converting a
   typical mail body. */
#define CHARSET_CACHE_SIZE 8

struct charset_cache {
	struct {
		char name[64];
		iconv_t cd;
	} e[CHARSET_CACHE_SIZE];
	unsigned next;		/* round-robin victim */
};

static void
charset_cache_free(gpointer data)
{
	struct charset_cache *c = data;

	for (int i = 0; i < CHARSET_CACHE_SIZE; i++)
		if (c->e[i].name[0] != '\0')
			iconv_close(c->e[i].cd);
	g_free(c);
}

static GPrivate charset_cache_key = G_PRIVATE_INIT(charset_cache_free);

/*
 * glibc loads the module of a charset (a shared object) on iconv_open()
 * and unloads it when the last descriptor using it is closed.  GMime
 * opens and closes a descriptor for every header it decodes, so a mail
 * with a Japanese subject loaded ISO-2022-JP.so, its relocations and
 * all, once per mail: a sixth of the time spent parsing.  A charset met
 * once is pinned instead: one descriptor kept open for the life of the
 * process holds its module loaded (at most CHARSET_PIN_MAX names, so a
 * flood of invented names costs nothing lasting).
 */
#define CHARSET_PIN_MAX 128

static GMutex charset_pin_lock;
static GHashTable *charset_pins;	/* iconv name -> iconv_t (or NULL) */

static void
charset_pin_iconv(const char *iconv_name)
{
	iconv_t cd;

	g_mutex_lock(&charset_pin_lock);
	if (charset_pins == NULL)
		charset_pins = g_hash_table_new(g_str_hash, g_str_equal);
	if (g_hash_table_size(charset_pins) < CHARSET_PIN_MAX &&
	    !g_hash_table_contains(charset_pins, iconv_name)) {
		cd = iconv_open("UTF-8", iconv_name);
		g_hash_table_insert(charset_pins, g_strdup(iconv_name),
				    cd == (iconv_t)-1 ? NULL : cd);
	}
	g_mutex_unlock(&charset_pin_lock);
}

void
message_charset_pin(const char *charset, size_t len)
{
	char name[64];

	if (len == 0 || len >= sizeof(name))
		return;
	memcpy(name, charset, len);
	name[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(name[i]) && strchr("-_.:+", name[i]) ==
		    NULL)
			return;
	/* the name GMime hands to iconv_open() */
	charset_pin_iconv(g_mime_charset_iconv_name(name));
}

/* A descriptor from `from' to UTF-8 in its initial state, owned by the
   cache; (iconv_t)-1 when iconv does not know the charset. */
static iconv_t
charset_cd(const char *from)
{
	struct charset_cache *c = g_private_get(&charset_cache_key);
	unsigned v;
	iconv_t cd;

	if (c == NULL) {
		c = g_new0(struct charset_cache, 1);
		g_private_set(&charset_cache_key, c);
	}
	if (strlen(from) >= sizeof(c->e[0].name))
		return (iconv_t)-1;
	for (int i = 0; i < CHARSET_CACHE_SIZE; i++)
		if (strcmp(c->e[i].name, from) == 0) {
			/* back to the initial shift state */
			iconv(c->e[i].cd, NULL, NULL, NULL, NULL);
			return c->e[i].cd;
		}
	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return cd;
	/* this thread's cache dies with it: keep the module loaded */
	charset_pin_iconv(from);
	v = c->next++ % CHARSET_CACHE_SIZE;
	if (c->e[v].name[0] != '\0')
		iconv_close(c->e[v].cd);
	g_strlcpy(c->e[v].name, from, sizeof(c->e[v].name));
	c->e[v].cd = cd;
	return cd;
}

static char *
charset_iconv(const char *text, size_t len, const char *from,
    gboolean lossy, size_t *errors_r)
{
	GString *out;
	iconv_t cd;
	char buf[4096];
	char *in = (char *)text;
	size_t inleft = len, errors = 0;

	cd = charset_cd(from);
	if (cd == (iconv_t)-1)
		return NULL;
	out = g_string_sized_new(len + len / 2 + 16);
	while (inleft > 0) {
		char *op = buf;
		size_t oleft = sizeof(buf);
		size_t r;

		r = iconv(cd, &in, &inleft, &op, &oleft);
		g_string_append_len(out, buf, (gssize)(op - buf));
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL: a sequence cut short at the end */
		if (!lossy) {
			g_string_free(out, TRUE);
			return NULL;
		}
		errors++;
		g_string_append(out, "\xEF\xBF\xBD");
		in++;
		inleft--;
	}
	{
		char *op = buf;
		size_t oleft = sizeof(buf);

		/* Flush a pending shift sequence. */
		iconv(cd, NULL, NULL, &op, &oleft);
		g_string_append_len(out, buf, (gssize)(op - buf));
	}
	if (errors_r != NULL)
		*errors_r = errors;
	return g_string_free(out, FALSE);
}

/* A result is implausible when it holds C1 controls (a single-byte charset
   that really was something else) or private-use characters. */
static gboolean
utf8_plausible(const char *s)
{
	/* On the UTF-8 bytes (s is valid UTF-8): C1 controls are C2 80-9F,
	   private use (U+E000-U+F8FF) EE xx xx and EF 80-A3 xx. */
	for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
		if (*p < 0xc2 || *p > 0xef)
			continue;
		if ((*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    *p == 0xee || (*p == 0xef && p[1] >= 0x80 && p[1] <= 0xa3))
			return FALSE;
	}
	return TRUE;
}

static gboolean
unichar_is_han(gunichar c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0xf900 && c <= 0xfaff);
}

/*
 * Western 8-bit text read as GB18030 or Big5 gives isolated Han characters
 * glued between Latin letters ("M<han>ler" for "Müller"); real Chinese text
 * rarely looks like that.  Also reject anything outside the BMP and
 * private-use characters, which genuine mail in those charsets hardly uses.
 */
static gboolean
utf8_plausible_cjk(const char *s)
{
	const char *p;
	gunichar prev = 0, cur = 0, next;
	size_t han = 0, glued = 0, touching = 0;

	p = s;
	if (*p == '\0')
		return TRUE;
	cur = g_utf8_get_char(p);
	for (;;) {
		const char *np = g_utf8_next_char(p);

		next = *np != '\0' ? g_utf8_get_char(np) : 0;
		if (cur >= 0x80 && cur <= 0x9f)
			return FALSE;
		if ((cur >= 0xe000 && cur <= 0xf8ff) || cur > 0xffff)
			return FALSE;
		if (unichar_is_han(cur)) {
			gboolean before = prev < 0x80 && g_ascii_isalpha(prev);
			gboolean after = next < 0x80 && g_ascii_isalpha(next);

			han++;
			if (before && after)
				glued++;
			if (before || after)
				touching++;
		}
		if (*np == '\0')
			break;
		prev = cur;
		cur = next;
		p = np;
	}
	/* "Flexibilit\xE4t" as GB18030 is "Flexibilit鋞": a Han or two,
	   each stuck to a Latin word */
	if (han > 0 && han <= 3 && touching == han)
		return FALSE;
	return glued == 0 || glued * 10 < han;
}

/* TRUE when s holds a non-ASCII character other than U+FFFD: the lossy
   conversion really decoded something. */
static gboolean
utf8_has_decoded(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c >= 0x80 && c != 0xfffd)
			return TRUE;
	}
	return FALSE;
}

static char *
utf8_dup_strip_bom(const char *text, size_t len)
{
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	return g_strndup(text, len);
}

/* Take NUL bytes out of s[0..len) (they would cut the string) and
   terminate it; returns the new length. */
static size_t
strip_nul(char *s, size_t len)
{
	char *nul = memchr(s, '\0', len);
	size_t i, j;

	if (nul == NULL) {
		s[len] = '\0';
		return len;
	}
	for (i = j = (size_t)(nul - s); i < len; i++)
		if (s[i] != '\0')
			s[j++] = s[i];
	s[j] = '\0';
	return j;
}

/* Whether a declared charset name says US-ASCII. */
static gboolean
charset_is_ascii_label(const char *charset)
{
	static const char *const names[] = {
		"us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us",
	};
	char *c = g_strstrip(g_ascii_strdown(charset, -1));
	gboolean r = FALSE;

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(c, names[i]) == 0 ||
		    (c[0] == '"' && strncmp(c + 1, names[i],
		     strlen(names[i])) == 0))
			r = TRUE;
	g_free(c);
	return r;
}

/* Whether charset (an iconv name) has NUL bytes in its text: UTF-16,
   UTF-32, UCS-2, UCS-4. */
static gboolean
charset_is_wide(const char *charset)
{
	return charset != NULL &&
	    (g_ascii_strncasecmp(charset, "UTF-16", 6) == 0 ||
	     g_ascii_strncasecmp(charset, "UTF-32", 6) == 0 ||
	     g_ascii_strncasecmp(charset, "UTF16", 5) == 0 ||
	     g_ascii_strncasecmp(charset, "UTF32", 5) == 0 ||
	     g_ascii_strncasecmp(charset, "UCS-2", 5) == 0 ||
	     g_ascii_strncasecmp(charset, "UCS-4", 5) == 0 ||
	     g_ascii_strncasecmp(charset, "UCS2", 4) == 0 ||
	     g_ascii_strncasecmp(charset, "UCS4", 4) == 0 ||
	     g_ascii_strcasecmp(charset, "UNICODE") == 0 ||
	     g_ascii_strcasecmp(charset, "UNICODELITTLE") == 0 ||
	     g_ascii_strcasecmp(charset, "UNICODEBIG") == 0);
}

/*
 * UTF-8 with a few flaws: a character cut short at the end of a line or
 * part, a stray byte.  TRUE when the multi-byte sequences that are valid
 * UTF-8 outnumber the bytes that are not four to one (and there are at
 * least two).  Text in a single-byte charset hardly ever has even one
 * such sequence ("Ã©"); GB18030 and Big5 text has some by chance, far
 * fewer than its invalid ones.
 */
static gboolean
utf8_mostly_valid(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t good = 0, bad = 0;

	while (p < end) {
		const char *stop;

		if (g_utf8_validate(p, end - p, &stop))
			break;
		for (const char *q = p; q < stop; q++)
			if (((guchar)*q & 0xc0) == 0xc0)
				good++;
		bad++;
		p = stop + 1;
	}
	for (; p < end; p++)
		if (((guchar)*p & 0xc0) == 0xc0)
			good++;
	return good >= 2 && bad * 4 <= good;
}

/* UTF-16/32 text converted as it is (its NUL bytes are part of the
   characters: taking them out first, as for other text, turned "Hello"
   into Han), without a byte order mark; NULL when it is not that. */
static char *
charset_wide_to_utf8(const char *text, size_t len, const char *from)
{
	char *res = charset_iconv(text, len, from, TRUE, NULL), *r;

	if (res == NULL || !(utf8_has_decoded(res) ||
			     text_is_ascii(res, strlen(res)))) {
		g_free(res);
		return NULL;
	}
	r = utf8_dup_strip_bom(res, strlen(res));
	g_free(res);
	return r;
}

/*
 * Undeclared 8-bit text through uchardet's detector, which knows the
 * letter and pair frequencies of many languages, converted; NULL when it
 * has too little to go on (fewer than CHARSET_DETECT_MIN bytes that are
 * not ASCII: it takes "中文" for KOI8-R, a short name is better left to
 * the fallbacks below), has no answer, or its answer does not convert.
 */
#define CHARSET_DETECT_MIN 16

static char *
charset_detect(const char *text, size_t len)
{
	size_t high = 0;
	uchardet_t ud;
	const char *found;
	char namebuf[64];
	const char *from;
	char *res = NULL;

	for (size_t i = 0; i < len && high < CHARSET_DETECT_MIN; i++)
		if ((guchar)text[i] >= 0x80)
			high++;
	if (high < CHARSET_DETECT_MIN)
		return NULL;
	ud = uchardet_new();
	if (ud == NULL)
		return NULL;
	if (uchardet_handle_data(ud, text, len) == 0) {
		uchardet_data_end(ud);
		found = uchardet_get_charset(ud);
		/* its names, through the aliases (ISO-8859-1 is read as
		   windows-1252, EUC-KR as CP949 …) */
		from = found != NULL && *found != '\0' &&
			g_ascii_strcasecmp(found, "ASCII") != 0 &&
			g_ascii_strcasecmp(found, "UTF-8") != 0 ?
			charset_resolve(found, namebuf, sizeof(namebuf)) : NULL;
		if (from != NULL)
			res = charset_iconv(text, len, from, FALSE, NULL);
		if (res != NULL && !utf8_plausible(res)) {
			g_free(res);
			res = NULL;
		}
	}
	uchardet_delete(ud);
	return res;
}

static char *
charset_finish(char *s)
{
	char *v;

	if (s != NULL && !g_utf8_validate(s, -1, NULL)) {
		v = g_utf8_make_valid(s, -1);
		g_free(s);
		s = v;
	}
	return s;
}

/*
 * ISO-2022-JP as Microsoft and most Japanese mailers write it (CP50221):
 * JIS X 0208 with the NEC and IBM extensions (①, №, ㈱ …) that glibc's
 * ISO-2022-JP converters refuse, so one such character would leave the
 * whole text undecoded.  The escapes switch between sets whose bytes map
 * to EUC-JP by arithmetic; EUC-JP-MS then knows the extensions.  NULL
 * when the text uses a set this does not know (left to iconv).
 */
static char *
iso2022jp_ms(const char *text, size_t len)
{
	GString *euc = g_string_sized_new(len);
	enum { ASCII, KANJI, KANA, KANJI_SUP } set = ASCII;
	char *res;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == 0x1b) {
			const char *e = text + i + 1;
			size_t left = len - i - 1;

			if (left >= 2 && e[0] == '(' &&
			    (e[1] == 'B' || e[1] == 'J')) {
				set = ASCII;
				i += 2;
			} else if (left >= 2 && e[0] == '(' && e[1] == 'I') {
				set = KANA;
				i += 2;
			} else if (left >= 2 && e[0] == '$' &&
				   (e[1] == 'B' || e[1] == '@')) {
				set = KANJI;
				i += 2;
			} else if (left >= 3 && e[0] == '$' && e[1] == '(' &&
				   e[2] == 'B') {
				set = KANJI;
				i += 3;
			} else if (left >= 3 && e[0] == '$' && e[1] == '(' &&
				   e[2] == 'D') {
				set = KANJI_SUP;
				i += 3;
			} else {
				g_string_free(euc, TRUE);
				return NULL;
			}
			continue;
		}
		if (c == '\n' || c == '\r')
			set = ASCII;	/* every line starts in ASCII */
		if (c >= 0x80) {
			g_string_free(euc, TRUE);
			return NULL;
		}
		if (set == ASCII || c <= 0x20 || c == 0x7f) {
			g_string_append_c(euc, (char)c);
		} else if (set == KANA) {
			g_string_append_c(euc, (char)0x8e);
			g_string_append_c(euc, (char)(c | 0x80));
		} else if (i + 1 < len && (unsigned char)text[i + 1] > 0x20 &&
			   (unsigned char)text[i + 1] < 0x7f) {
			if (set == KANJI_SUP)
				g_string_append_c(euc, (char)0x8f);
			g_string_append_c(euc, (char)(c | 0x80));
			g_string_append_c(euc, (char)(text[i + 1] | 0x80));
			i++;
		} else {
			g_string_append_c(euc, (char)c);
		}
	}
	res = charset_iconv(euc->str, euc->len, "EUC-JP-MS", FALSE, NULL);
	g_string_free(euc, TRUE);
	return res;
}

static gboolean
charset_is_iso2022jp(const char *iconv_name)
{
	return g_ascii_strncasecmp(iconv_name, "ISO-2022-JP", 11) == 0 &&
	       g_ascii_strncasecmp(iconv_name, "ISO-2022-JP-2", 13) != 0;
}

char *
message_text_to_utf8(const char *text, size_t len, const char *charset)
{
	static const char *const fallbacks[] = {
		"GB18030", "CP950", "WINDOWS-1252",
	};
	char namebuf[64];
	const char *from;
	char *copy, *res = NULL, *lossy = NULL;
	size_t errors = 0, i;
	gboolean ascii, valid_utf8;

	if (text == NULL || len == 0)
		return g_strdup("");
	from = charset_resolve(charset, namebuf, sizeof(namebuf));
	if (from == NULL && len >= 2 &&
	    (memcmp(text, "\xFF\xFE", 2) == 0 ||
	     memcmp(text, "\xFE\xFF", 2) == 0) &&
	    memchr(text, '\0', len) != NULL)
		from = "UTF-16";	/* undeclared, but its BOM says */
	if (from != NULL && charset_is_wide(from)) {
		res = charset_wide_to_utf8(text, len, from);
		if (res != NULL)
			return charset_finish(res);
		from = NULL;	/* not what it says: guess */
	}
	/* Work on a copy without NUL bytes. */
	copy = g_malloc(len + 1);
	memcpy(copy, text, len);
	len = strip_nul(copy, len);
	text = copy;

	ascii = text_is_ascii(text, len);
	if (ascii && (from == NULL || !charset_is_stateful(from)))
		return copy;
	/* 8-bit text labelled US-ASCII (a mailer's default, whatever it
	   sent) is unlabelled */
	if (from != NULL && charset_is_ascii_label(charset))
		from = NULL;
	valid_utf8 = g_utf8_validate(text, (gssize)len, NULL);

	if (from != NULL) {
		if (g_ascii_strcasecmp(from, "UTF-8") == 0 ||
		    g_ascii_strcasecmp(from, "UTF8") == 0) {
			if (valid_utf8) {
				res = utf8_dup_strip_bom(text, len);
				g_free(copy);
				return res;	/* validated above */
			}
		} else if (valid_utf8 && !ascii &&
		    charset_is_single_byte(from)) {
			/* Mislabelled UTF-8. */
			res = utf8_dup_strip_bom(text, len);
			g_free(copy);
			return res;	/* validated above */
		} else {
			res = charset_iconv(text, len, from, FALSE, NULL);
			if (res == NULL && charset_is_iso2022jp(from))
				res = iso2022jp_ms(text, len);
			if (res != NULL && !utf8_plausible(res)) {
				g_free(res);
				res = NULL;
			}
			if (res != NULL)
				goto done;
		}
	}

	/* 7-bit text in a stateful charset that did not convert is not
	   UTF-8 text: its escapes would show */
	if (valid_utf8 && !(ascii && from != NULL &&
			    charset_is_stateful(from))) {
		res = utf8_dup_strip_bom(text, len);
		g_free(copy);
		return res;	/* validated above */
	}

	/* A declared charset with a few bad bytes beats guessing. */
	if (from != NULL) {
		lossy = charset_iconv(text, len, from, TRUE, &errors);
		if (lossy != NULL && errors * 20 <= len + 40 &&
		    utf8_has_decoded(lossy)) {
			res = lossy;
			goto done;
		}
		g_free(lossy);
	}

	/* Undeclared (or not what it says) UTF-8 with a flaw or two, not
	   some other charset. */
	if (utf8_mostly_valid(text, len)) {
		res = g_utf8_make_valid(text, (gssize)len);
		goto done;
	}
	/* Enough 8-bit text, undeclared or not in the charset it names, to
	   tell its language by: uchardet (KOI8-R, windows-1251, Shift_JIS,
	   EUC-JP labelled ISO-2022-JP, EUC-KR, Greek, Hebrew …) */
	if ((res = charset_detect(text, len)) != NULL)
		goto done;

	for (i = 0; i < G_N_ELEMENTS(fallbacks); i++) {
		res = charset_iconv(text, len, fallbacks[i], FALSE, NULL);
		if (res == NULL)
			continue;
		if (i < 2 ? utf8_plausible_cjk(res) : utf8_plausible(res))
			goto done;
		g_free(res);
		res = NULL;
	}

	/* ISO-8859-1 maps every byte. */
	res = charset_iconv(text, len, "ISO-8859-1", TRUE, NULL);
	if (res == NULL)
		res = g_utf8_make_valid(text, (gssize)len);
done:
	g_free(copy);
	return charset_finish(res);
}

/* ---- RFC 2047 encoded words ---- */

/* An encoded word "=?charset[*lang]?B|Q?payload?=" at p: its parts, and
   w->end just after it.  No blank inside (RFC 2047 section 5); longer
   than the 75 characters RFC 2047 allows, as mailers write them, but
   bounded, so that a header of many unfinished words costs linear
   time. */
#define ENCODED_WORD_MAX 4096
struct encoded_word {
	char charset[64];
	char encoding;		/* 'B' or 'Q' */
	const char *payload;
	size_t payload_len;
	const char *end;
	gboolean broken;	/* base64 of a length none has */
};

static gboolean
encoded_word_at(const char *p, struct encoded_word *w)
{
	const char *cs, *q, *pl, *e;
	size_t n;

	if (p[0] != '=' || p[1] != '?')
		return FALSE;
	cs = p + 2;
	for (q = cs; *q != '\0' && *q != '?' && *q > ' ' && *q != 0x7f; q++)
		;
	if (*q != '?' || q == cs)
		return FALSE;
	n = (size_t)(q - cs);
	{
		const char *star = memchr(cs, '*', n);	/* RFC 2231 language */

		if (star != NULL)
			n = (size_t)(star - cs);
	}
	if (n == 0 || n >= sizeof(w->charset))
		return FALSE;
	w->encoding = g_ascii_toupper(q[1]);
	if ((w->encoding != 'B' && w->encoding != 'Q') || q[2] != '?')
		return FALSE;
	pl = q + 3;
	for (e = pl; *e != '\0' && !(e[0] == '?' && e[1] == '=') &&
	     *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n' &&
	     e - pl < ENCODED_WORD_MAX; e++)
		;
	if (e[0] != '?' || e[1] != '=')
		return FALSE;
	w->broken = FALSE;
	if (w->encoding == 'B') {
		size_t k = 0;

		for (const char *b = pl; b < e; b++)
			if (*b != '=')
				k++;
		w->broken = k % 4 == 1;
	}
	memcpy(w->charset, cs, n);
	w->charset[n] = '\0';
	w->payload = pl;
	w->payload_len = (size_t)(e - pl);
	w->end = e + 2;
	return TRUE;
}

/* Append the bytes an encoded word stands for. */
static void
encoded_word_decode(const struct encoded_word *w, GByteArray *out)
{
	if (w->encoding == 'B') {
		gint state = 0;
		guint save = 0;
		guint at = out->len;
		gsize n, k = 0;
		char *b64 = g_malloc(w->payload_len + 4);

		/* Padding as it should be: many mailers leave it out
		   ("w7xiZXI" for "über"), some write too little
		   ("VEVTVA="), and a decoder without it keeps the last
		   bytes back. */
		for (size_t i = 0; i < w->payload_len; i++)
			if (g_ascii_isalnum(w->payload[i]) ||
			    w->payload[i] == '+' || w->payload[i] == '/')
				b64[k++] = w->payload[i];
		if (k % 4 == 1)
			k--;	/* a lone sixth of a byte */
		while (k % 4 != 0)
			b64[k++] = '=';
		g_byte_array_set_size(out, at + k * 3 / 4 + 3);
		n = g_base64_decode_step(b64, k, out->data + at, &state,
					 &save);
		g_byte_array_set_size(out, at + (guint)n);
		g_free(b64);
		return;
	}
	for (size_t i = 0; i < w->payload_len; i++) {
		char c = w->payload[i];
		guint8 b = (guint8)c;

		if (c == '_') {
			b = ' ';
		} else if (c == '=' && i + 2 < w->payload_len &&
			   g_ascii_xdigit_value(w->payload[i + 1]) >= 0 &&
			   g_ascii_xdigit_value(w->payload[i + 2]) >= 0) {
			b = (guint8)(g_ascii_xdigit_value(w->payload[i + 1]) *
				     16 +
				     g_ascii_xdigit_value(w->payload[i + 2]));
			i += 2;
		}
		g_byte_array_append(out, &b, 1);
	}
}

/* Convert the bytes of a run of encoded words and append them. */
static void
encoded_run_flush(GString *out, GByteArray *bytes, const char *charset)
{
	char *u;

	if (bytes->len == 0)
		return;
	u = message_text_to_utf8((const char *)bytes->data, bytes->len,
				 charset);
	g_string_append(out, u);
	g_free(u);
	g_byte_array_set_size(bytes, 0);
}

char *
message_decode_words(const char *value, gboolean *broken_r)
{
	GString *out = g_string_sized_new(strlen(value));
	GByteArray *bytes = g_byte_array_new();
	char charset[64] = "";
	const char *p = value;

	if (broken_r != NULL)
		*broken_r = FALSE;
	while (*p != '\0') {
		struct encoded_word w;
		const char *next;

		if (!encoded_word_at(p, &w)) {
			encoded_run_flush(out, bytes, charset);
			g_string_append_c(out, *p++);
			continue;
		}
		if (w.broken) {
			/* base64 of a length none has (characters lost on
			   the way): decoded it is noise; left as written */
			encoded_run_flush(out, bytes, charset);
			g_string_append_len(out, p, w.end - p);
			p = w.end;
			if (broken_r != NULL)
				*broken_r = TRUE;
			continue;
		}
		/* Adjacent words in one charset are one run of bytes: a
		   character may be split between them, and each word's
		   base64 has its own padding. */
		if (g_ascii_strcasecmp(w.charset, charset) != 0) {
			encoded_run_flush(out, bytes, charset);
			memcpy(charset, w.charset, sizeof(charset));
		}
		encoded_word_decode(&w, bytes);
		p = w.end;
		/* blanks between two encoded words are not text */
		next = p + strspn(p, " \t\r\n");
		if (next != p && encoded_word_at(next, &w))
			p = next;
	}
	encoded_run_flush(out, bytes, charset);
	g_byte_array_free(bytes, TRUE);
	return g_string_free(out, FALSE);
}
