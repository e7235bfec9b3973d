/* bench/wordfreq.c - the plain scalar C word counter the issue compares wordcount with: mmap the
 * file, `[A-Za-z]+` tokens case-folded through a 256-byte table, FNV-1a, open addressing with
 * linear probing in one table (words stored in an arena), then the 10 most frequent words.
 *   usage: wordfreq FILE     prints "@mb_per_s VALUE MB/s", "@tokens N -", "@distinct N -" and the top 10 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    uint64_t hash, count;
    uint32_t off, len;
} entry;

typedef struct {
    entry *slots;
    size_t cap, size;
    char *arena;
    size_t arena_len, arena_cap;
} table;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void grow(table *t)
{
    size_t cap = t->cap * 2;
    entry *s = calloc(cap, sizeof *s);
    if (s == NULL)
        die("calloc");
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].count) {
            size_t j = t->slots[i].hash & (cap - 1);
            while (s[j].count)
                j = (j + 1) & (cap - 1);
            s[j] = t->slots[i];
        }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
}

static void add(table *t, const char *w, uint32_t len, uint64_t h)
{
    size_t j = h & (t->cap - 1);
    for (;;) {
        entry *e = &t->slots[j];
        if (e->count == 0)
            break;
        if (e->hash == h && e->len == len && memcmp(t->arena + e->off, w, len) == 0) {
            e->count++;
            return;
        }
        j = (j + 1) & (t->cap - 1);
    }
    if (t->arena_len + len > t->arena_cap) {
        t->arena_cap = 2 * (t->arena_len + len);
        t->arena = realloc(t->arena, t->arena_cap);
        if (t->arena == NULL)
            die("realloc");
    }
    memcpy(t->arena + t->arena_len, w, len);
    t->slots[j] = (entry){h, 1, (uint32_t)t->arena_len, len};
    t->arena_len += len;
    if (++t->size * 2 > t->cap)
        grow(t);
}

static int by_count(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        die(argv[1]);
    size_t n = (size_t)st.st_size;
    const unsigned char *p = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : NULL;
    if (n && p == MAP_FAILED)
        die("mmap");
    unsigned char fold[256] = {0};  /* 0: not a letter; else the lowercase letter */
    for (int c = 'a'; c <= 'z'; c++)
        fold[c] = fold[c - 'a' + 'A'] = (unsigned char)c;
    table t = {calloc(1 << 16, sizeof(entry)), 1 << 16, 0, NULL, 0, 0};
    char word[1 << 16];
    uint64_t tokens = 0;
    double t0 = now();
    for (size_t i = 0; i < n;) {
        if (!fold[p[i]]) {
            i++;
            continue;
        }
        uint64_t h = 0xcbf29ce484222325u;
        uint32_t len = 0;
        while (i < n && fold[p[i]]) {
            unsigned char c = fold[p[i++]];
            h = (h ^ c) * 0x100000001b3u;
            if (len < sizeof word)
                word[len++] = (char)c;
        }
        add(&t, word, len, h);
        tokens++;
    }
    double s = now() - t0;
    printf("@mb_per_s %.1f MB/s\n@tokens %llu -\n@distinct %zu -\n", s > 0 ? (double)n / 1e6 / s : 0,
           (unsigned long long)tokens, t.size);
    entry *all = malloc((t.size ? t.size : 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < t.cap; i++)
        if (t.slots[i].count)
            all[k++] = t.slots[i];
    qsort(all, k, sizeof *all, by_count);
    for (size_t i = 0; i < k && i < 10; i++)
        printf("%llu %.*s\n", (unsigned long long)all[i].count, (int)all[i].len, t.arena + all[i].off);
    return 0;
}
