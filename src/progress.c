/* progress.c - a throttled progress bar: percent, rate and ETA on one rewritten line. */
#include "mpikit/progress.h"

#include <unistd.h>

#include "mpikit/timing.h"

enum { BAR_WIDTH = 20 };
static const double REDRAW_INTERVAL = 0.1;

int mk_progress_wanted(int forced, int disabled, int world_rank)
{
    if (world_rank != 0 || disabled)
        return 0;
    return forced || isatty(STDERR_FILENO);
}

void mk_progress_begin(mk_progress *p, FILE *out, const char *label, const char *unit, uint64_t total)
{
    p->out = out;
    p->label = label != NULL ? label : "";
    p->unit = unit != NULL ? unit : "";
    p->total = total;
    p->done = 0;
    p->start = mk_now();
    p->last_draw = p->start;
    p->drawn = 0;
}

static void format_seconds(char *buf, size_t len, double s)
{
    if (!(s >= 0.0) || s > 99.0 * 3600.0) {
        snprintf(buf, len, "?");
        return;
    }
    long v = (long)(s + 0.5);
    if (v < 60)
        snprintf(buf, len, "%lds", v);
    else if (v < 3600)
        snprintf(buf, len, "%ldm%02lds", v / 60, v % 60);
    else
        snprintf(buf, len, "%ldh%02ldm", v / 3600, v / 60 % 60);
}

static void draw(mk_progress *p, double now, int final)
{
    double frac = 1.0;
    if (!final && p->total > 0 && p->done < p->total)
        frac = (double)p->done / (double)p->total;

    char bar[BAR_WIDTH + 1];
    int filled = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';

    double elapsed = now - p->start;
    double rate = elapsed > 0.0 ? (double)p->done / elapsed : 0.0;
    char rate_text[48];
    if (p->unit[0] == 'B' && p->unit[1] == '\0')
        snprintf(rate_text, sizeof rate_text, "%6.1f MB/s", rate / 1e6);
    else
        snprintf(rate_text, sizeof rate_text, "%6.1f items/s", rate);

    char when[24], tail[32];
    if (final) {
        format_seconds(when, sizeof when, elapsed);
        snprintf(tail, sizeof tail, "in %s", when);
    } else {
        double left = p->done < p->total ? (double)(p->total - p->done) : 0.0;
        format_seconds(when, sizeof when, rate > 0.0 ? left / rate : -1.0);
        snprintf(tail, sizeof tail, "ETA %s", when);
    }
    /* The tail is padded so a shorter redraw covers the end of the previous one. */
    fprintf(p->out, "\r%s [%s] %5.1f%%  %s  %-10s", p->label, bar, frac * 100.0, rate_text, tail);
    fflush(p->out);
    p->last_draw = now;
    p->drawn = 1;
}

/* The common case must stay cheap: one clock read and a compare. */
static void maybe_draw(mk_progress *p)
{
    if (p->total == 0)
        return;
    double now = mk_now();
    if (now - p->last_draw >= REDRAW_INTERVAL)
        draw(p, now, 0);
}

void mk_progress_add(mk_progress *p, uint64_t amount)
{
    if (p->out == NULL)
        return;
    p->done += amount;
    maybe_draw(p);
}

void mk_progress_set(mk_progress *p, uint64_t done)
{
    if (p->out == NULL)
        return;
    p->done = done;
    maybe_draw(p);
}

void mk_progress_end(mk_progress *p)
{
    if (p->out == NULL)
        return;
    draw(p, mk_now(), 1);
    fputc('\n', p->out);
    fflush(p->out);
}
