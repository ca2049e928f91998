/*
 * fuzz_main.c: a standalone driver for a libFuzzer target
 * (LLVMFuzzerTestOneInput), so that the target builds with gcc under the
 * project's ASan/UBSan build and runs in make check without clang.  It
 * replays every file it is given (or every file of the directories it
 * is given, in name order), then feeds the target a fixed number of
 * deterministic mutations of them: a fixed seed, so a run is the same
 * on every machine and a failure can be reproduced with -w.  Prints TAP
 * lines for tests/run.  Coverage-guided fuzzing is tests/fuzz/run-libfuzzer.
 *
 * usage: fuzz_TARGET [-n mutations] [-s seed] [-w index -o file] path...
 *   -n  how many mutations after the replay (default FUZZ_MUTATIONS)
 *   -s  the PRNG seed (default FUZZ_SEED)
 *   -w  write mutation number index to the file named by -o instead of
 *       running anything (same paths and seed as the failing run)
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_MAIN_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define FUZZ_MAIN_SANITIZER 1
#endif
#endif
#ifdef FUZZ_MAIN_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MUTATIONS	100000	/* about 2.5 s under ASan on 2 cores */
#define FUZZ_SEED	0x5ea1b0a7d15c0ULL
#define FUZZ_FILE_MAX	65536		/* longer seed files are refused */
#define FUZZ_SLACK	256		/* mutations may grow an input this much */
#define FUZZ_SEEDS_MAX	4096

struct fuzz_seed {
	char	*path;
	uint8_t	*data;
	size_t	 len;
};

/* What runs now, for the crash handlers (write(2) only there); empty
 * outside the target. */
static char	fuzz_current[512];
static size_t	fuzz_current_len;

static void
fuzz_say_current(void)
{
	static const char	pre[] = "not ok - target failed on ";

	if (fuzz_current_len == 0)	/* not in the target */
		return;
	if (write(STDOUT_FILENO, pre, sizeof(pre) - 1) < 0 ||
	    write(STDOUT_FILENO, fuzz_current, fuzz_current_len) < 0)
		return;
}

static void
fuzz_on_abort(int sig)
{
	fuzz_say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Records what runs now; path NULL for mutation number n. */
static void
fuzz_set_current(const char *path, unsigned long n)
{
	int r;

	if (path != NULL)
		r = snprintf(fuzz_current, sizeof(fuzz_current), "seed %s\n",
		    path);
	else
		r = snprintf(fuzz_current, sizeof(fuzz_current),
		    "mutation %lu (write it out with -w %lu -o FILE)\n", n, n);
	if (r < 0)
		fuzz_current_len = 0;
	else if ((size_t)r >= sizeof(fuzz_current))
		fuzz_current_len = sizeof(fuzz_current) - 1;
	else
		fuzz_current_len = (size_t)r;
}

/* Runs the target on an exact-size copy, so ASan sees any overread. */
static void
fuzz_run(const uint8_t *data, size_t len)
{
	uint8_t *copy;

	if ((copy = malloc(len == 0 ? 1 : len)) == NULL) {
		printf("not ok - out of memory\n");
		exit(1);
	}
	if (len > 0)
		memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	fuzz_current_len = 0;
	free(copy);
}

static int
fuzz_read(const char *path, struct fuzz_seed *s)
{
	FILE	*f;
	uint8_t	*buf;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if ((buf = malloc(FUZZ_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, FUZZ_FILE_MAX + 1, f);
	if (ferror(f) || n > FUZZ_FILE_MAX) {
		fclose(f);
		free(buf);
		errno = EFBIG;
		return -1;
	}
	fclose(f);
	/* keep only what was read: ASan then sees overreads of seeds */
	if ((s->data = malloc(n == 0 ? 1 : n)) == NULL) {
		free(buf);
		return -1;
	}
	memcpy(s->data, buf, n);
	free(buf);
	if ((s->path = strdup(path)) == NULL) {
		free(s->data);
		return -1;
	}
	s->len = n;
	return 0;
}

static void
fuzz_free(struct fuzz_seed *seeds, size_t nseeds, uint8_t *buf)
{
	size_t k;

	for (k = 0; k < nseeds; k++) {
		free(seeds[k].path);
		free(seeds[k].data);
	}
	free(seeds);
	free(buf);
}

static int
fuzz_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fuzz_seed *)a)->path,
	    ((const struct fuzz_seed *)b)->path);
}

/* Adds the file at path, or every regular file of the directory. */
static int
fuzz_collect(const char *path, struct fuzz_seed *seeds, size_t *n)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 p[4096];
	int		 r;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		if (*n >= FUZZ_SEEDS_MAX) {
			errno = E2BIG;
			return -1;
		}
		if (fuzz_read(path, &seeds[*n]) == -1)
			return -1;
		(*n)++;
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		r = snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (r < 0 || (size_t)r >= sizeof(p)) {
			closedir(d);
			errno = ENAMETOOLONG;
			return -1;
		}
		if (stat(p, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (fuzz_collect(p, seeds, n) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* xorshift64*: small, and the same sequence everywhere */
static uint64_t
fuzz_rand(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 0x2545F4914F6CDD1DULL;
}

static size_t
fuzz_below(uint64_t *st, size_t n)
{
	return n == 0 ? 0 : (size_t)(fuzz_rand(st) % n);
}

/*
 * Builds mutation number i (the PRNG state carries from one to the
 * next) into buf[0..cap) and returns its length: a seed with 1 to 6
 * edits chosen for DNS: bit flips, interesting octets (pointer and
 * label-type bits, 12 for the question), compression pointers to
 * anywhere, counts, truncation, insertion, deletion, copies, splices.
 */
static size_t
fuzz_mutate(uint64_t *st, const struct fuzz_seed *seeds, size_t nseeds,
    uint8_t *buf, size_t cap)
{
	static const uint8_t	 magic[] = { 0x00, 0x01, 0x0c, 0x3f, 0x40,
	    0x7f, 0x80, 0xbf, 0xc0, 0xff, 0x29, 0x34 };
	const struct fuzz_seed	*s = &seeds[fuzz_below(st, nseeds)];
	size_t			 len, k, edits, p, q, n;

	len = s->len < cap ? s->len : cap;
	memcpy(buf, s->data, len);
	edits = 1 + fuzz_below(st, 6);
	for (k = 0; k < edits; k++) {
		p = fuzz_below(st, len);
		switch (fuzz_below(st, 10)) {
		case 0:		/* flip a bit */
			if (len > 0)
				buf[p] ^= (uint8_t)(1u << fuzz_below(st, 8));
			break;
		case 1:		/* any octet */
			if (len > 0)
				buf[p] = (uint8_t)fuzz_rand(st);
			break;
		case 2:		/* an interesting octet */
			if (len > 0)
				buf[p] = magic[fuzz_below(st, sizeof(magic))];
			break;
		case 3:		/* a compression pointer */
			q = fuzz_below(st, len + 16);
			if (len >= 2 && p + 1 < len) {
				buf[p] = (uint8_t)(0xC0 | (q >> 8 & 0x3F));
				buf[p + 1] = (uint8_t)q;
			}
			break;
		case 4:		/* a count: small, or anything */
			if (len >= 12) {
				q = 4 + 2 * fuzz_below(st, 4);
				n = fuzz_below(st, 2) ? fuzz_below(st, 4) :
				    (size_t)fuzz_rand(st);
				buf[q] = (uint8_t)(n >> 8);
				buf[q + 1] = (uint8_t)n;
			}
			break;
		case 5:		/* cut */
			len = fuzz_below(st, len + 1);
			break;
		case 6:		/* insert octets */
			n = 1 + fuzz_below(st, 8);
			if (len + n <= cap) {
				memmove(buf + p + n, buf + p, len - p);
				for (q = 0; q < n; q++)
					buf[p + q] = (uint8_t)fuzz_rand(st);
				len += n;
			}
			break;
		case 7:		/* delete octets */
			n = fuzz_below(st, len - p + 1);
			memmove(buf + p, buf + p + n, len - p - n);
			len -= n;
			break;
		case 8:		/* copy a chunk over another place */
			q = fuzz_below(st, len);
			n = fuzz_below(st, 32);
			if (n > len - p)
				n = len - p;
			if (n > len - q)
				n = len - q;
			memmove(buf + q, buf + p, n);
			break;
		default: {	/* splice: the tail of another seed */
			const struct fuzz_seed *o =
			    &seeds[fuzz_below(st, nseeds)];

			if (p < o->len) {
				n = o->len - p;
				if (n > cap - p)
					n = cap - p;
				memcpy(buf + p, o->data + p, n);
				len = p + n;
			}
			break;
		}
		}
	}
	return len;
}

static double
fuzz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fuzz_usage(void)
{
	fprintf(stderr, "usage: fuzz_TARGET [-n mutations] [-s seed] "
	    "[-w index -o file] path...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct fuzz_seed	*seeds;
	uint8_t			*buf;
	uint64_t		 st, seed = FUZZ_SEED;
	unsigned long		 nmut = FUZZ_MUTATIONS, i, windex = 0;
	const char		*wfile = NULL;
	size_t			 nseeds = 0, maxlen = 0, cap, len, k;
	double			 t0;
	char			*end;
	const char		*base;
	int			 c, a, wset = 0;

	while ((c = getopt(argc, argv, "n:o:s:w:")) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			nmut = strtoul(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || end == optarg)
				fuzz_usage();
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    seed == 0)
				fuzz_usage();
			break;
		case 'o':
			wfile = optarg;
			break;
		case 'w':
			errno = 0;
			windex = strtoul(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || end == optarg)
				fuzz_usage();
			wset = 1;
			break;
		default:
			fuzz_usage();
		}
	}
	if (optind >= argc || wset != (wfile != NULL))
		fuzz_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGABRT, fuzz_on_abort);
#ifdef FUZZ_MAIN_SANITIZER
	__sanitizer_set_death_callback(fuzz_say_current);
#endif

	if ((seeds = calloc(FUZZ_SEEDS_MAX, sizeof(*seeds))) == NULL) {
		printf("not ok - out of memory\n");
		return 1;
	}
	for (a = optind; a < argc; a++)
		if (fuzz_collect(argv[a], seeds, &nseeds) == -1) {
			printf("not ok - cannot read the corpus %s: %s\n",
			    argv[a], strerror(errno));
			fuzz_free(seeds, nseeds, NULL);
			return 1;
		}
	if (nseeds == 0) {
		printf("not ok - no seed in the corpus\n");
		fuzz_free(seeds, nseeds, NULL);
		return 1;
	}
	qsort(seeds, nseeds, sizeof(*seeds), fuzz_cmp);
	for (k = 0; k < nseeds; k++)
		if (seeds[k].len > maxlen)
			maxlen = seeds[k].len;
	cap = maxlen + FUZZ_SLACK;
	if ((buf = malloc(cap)) == NULL) {
		printf("not ok - out of memory\n");
		fuzz_free(seeds, nseeds, NULL);
		return 1;
	}
	st = seed;

	if (wfile != NULL) {	/* reproduce one mutation */
		FILE *f;

		for (i = 0; i < windex; i++)
			(void)fuzz_mutate(&st, seeds, nseeds, buf, cap);
		len = fuzz_mutate(&st, seeds, nseeds, buf, cap);
		if ((f = fopen(wfile, "wb")) == NULL ||
		    fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			fprintf(stderr, "cannot write %s: %s\n", wfile,
			    strerror(errno));
			fuzz_free(seeds, nseeds, buf);
			return 1;
		}
		fprintf(stderr, "mutation %lu (%zu octets) written to %s\n",
		    windex, len, wfile);
		fuzz_free(seeds, nseeds, buf);
		return 0;
	}

	t0 = fuzz_now();
	for (k = 0; k < nseeds; k++) {
		fuzz_set_current(seeds[k].path, 0);
		fuzz_run(seeds[k].data, seeds[k].len);
		base = strrchr(seeds[k].path, '/');
		printf("ok - seed %s\n", base != NULL ? base + 1 :
		    seeds[k].path);
	}
	for (i = 0; i < nmut; i++) {
		len = fuzz_mutate(&st, seeds, nseeds, buf, cap);
		fuzz_set_current(NULL, i);
		fuzz_run(buf, len);
	}
	printf("ok - %lu mutations of %zu seeds (seed 0x%llx)\n", nmut, nseeds,
	    (unsigned long long)seed);
	printf("# %.2f s\n", fuzz_now() - t0);
	fuzz_free(seeds, nseeds, buf);
	return 0;
}
