/* svg.c - the timeline as one self-contained SVG: one row per process, time running right,
 * a rectangle per MPI call coloured by its kind (the light row behind them is time outside
 * MPI: computing), an arrow per message from the start of the send to the end of the
 * receive that got it, a dashed arrow per collective dependency, a hover title on each.
 * Calls narrower than a pixel are merged with their neighbours, and the number of shapes is
 * capped, so a long run still gives a file small enough for a slide. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

enum { LEFT = 124, RIGHT = 16, TOP = 62, ROW = 20, BAR = 14, GROUP_GAP = 18, AXIS = 44 };

static const char *const kind_colour[MKT_K_COUNT] = {
    "#4e79a7", /* send */
    "#59a14f", /* receive */
    "#76b7b2", /* sendrecv */
    "#e15759", /* wait */
    "#bab0ac", /* probe */
    "#f28e2b", /* collective */
    "#b07aa1", /* I/O */
    "#9c755f", /* communicator */
    "#555555", /* init */
};

/* Text on a rectangle of each kind: dark on the light colours. */
static const char *const kind_ink[MKT_K_COUNT] = {"#fff", "#fff", "#222", "#fff", "#222",
                                                  "#222", "#fff", "#fff", "#fff"};

void mkt_svg_defaults(mkt_svg_options *o)
{
    o->width = 960;
    o->max_slices = 4000;
    o->max_flows = 1000;
    o->title = NULL;
}

void mkt_xml_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if (*p >= 0x20 && *p < 0x7f)
                fputc(*p, out);
            else if (*p == '\t')
                fputc(' ', out);
            else if (*p >= 0x80)
                fputc('?', out); /* the bytes may not be UTF-8: keep the XML well-formed */
            break;
        }
    }
}

typedef struct {
    FILE *out;
    const mkt_trace *t;
    const mkt_svg_options *o;
    double x0, scale; /* px = x0 + (ns - t_from) * scale */
    int64_t t_from, t_to;
    int *row_y; /* top of each pid's row */
    int height;
    size_t drawn, merged; /* rectangles drawn; calls shown inside merged ones */
} view;

static double x_of(const view *v, int64_t t)
{
    if (t < v->t_from)
        t = v->t_from;
    if (t > v->t_to)
        t = v->t_to;
    return v->x0 + (double)(t - v->t_from) * v->scale;
}

/* Layout: rows in pid order, a gap and a heading before each spawned group. */
static int layout(view *v)
{
    const mkt_trace *t = v->t;
    int y = TOP;
    for (int g = 0; g < t->ngroups; g++) {
        if (g > 0)
            y += GROUP_GAP;
        for (int r = 0; r < t->groups[g].size; r++) {
            v->row_y[t->groups[g].first_pid + r] = y;
            y += ROW;
        }
    }
    v->height = y + AXIS + 30;
    int64_t from = t->t_begin, to = t->t_end;
    if (to <= from) { /* no window: use the calls themselves */
        from = t->nslices > 0 ? t->slices[0].t0 : 0;
        to = from + 1;
        for (size_t i = 0; i < t->nslices; i++) {
            if (t->slices[i].t0 < from)
                from = t->slices[i].t0;
            if (t->slices[i].t1 > to)
                to = t->slices[i].t1;
        }
    }
    v->t_from = from;
    v->t_to = to > from ? to : from + 1;
    v->x0 = LEFT;
    v->scale = (double)(v->o->width - LEFT - RIGHT) / (double)(v->t_to - v->t_from);
    return 0;
}

static void header(view *v)
{
    FILE *out = v->out;
    char span[32], name[2 * MKT_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s", v->o->title != NULL ? v->o->title : v->t->command);
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\" font-size=\"11\">\n",
            v->o->width, v->height, v->o->width, v->height);
    fputs("<style>", out);
    for (int k = 0; k < MKT_K_COUNT; k++)
        fprintf(out, ".k%d{fill:%s}.t%d{fill:%s}", k, kind_colour[k], k, kind_ink[k]);
    fputs(".run{fill:#f1f1f1}.msg{stroke:#222;stroke-width:.8;fill:none}"
          ".col{stroke:#f28e2b;stroke-width:.7;stroke-dasharray:3 2;fill:none;opacity:.8}"
          ".ax{stroke:#888;stroke-width:.6}.lab{fill:#333}text.in{font-size:9px;pointer-events:none}</style>\n",
          out);
    fputs("<defs><marker id=\"a\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"6\" markerHeight=\"6\" "
          "orient=\"auto\"><path d=\"M0,0L6,3L0,6z\" fill=\"#222\"/></marker>"
          "<marker id=\"c\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"5\" markerHeight=\"5\" "
          "orient=\"auto\"><path d=\"M0,0L6,3L0,6z\" fill=\"#f28e2b\"/></marker></defs>\n",
          out);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", v->o->width, v->height);
    fputs("<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    mkt_xml_text(out, name);
    fprintf(out,
            "</text><text x=\"8\" y=\"34\" class=\"lab\">%d process%s, %s between MPI_Init and MPI_Finalize"
            "; hover for details</text>\n",
            v->t->nprocs, v->t->nprocs == 1 ? "" : "es", mkt_format_ns(v->t_to - v->t_from, span, sizeof span));
    /* legend */
    static const int shown[] = {MKT_K_SEND,  MKT_K_RECV, MKT_K_WAIT, MKT_K_COLL,
                                MKT_K_PROBE, MKT_K_IO,   MKT_K_COMM, MKT_K_INIT};
    int x = 8;
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        fprintf(out,
                "<rect x=\"%d\" y=\"42\" width=\"10\" height=\"10\" class=\"k%d\"/>"
                "<text x=\"%d\" y=\"51\">%s</text>",
                x, shown[i], x + 13, mkt_kind_name((mkt_kind)shown[i]));
        x += 16 + 7 * (int)strlen(mkt_kind_name((mkt_kind)shown[i]));
    }
    fprintf(out,
            "<rect x=\"%d\" y=\"42\" width=\"10\" height=\"10\" class=\"run\" stroke=\"#ccc\"/>"
            "<text x=\"%d\" y=\"51\">outside MPI</text>",
            x, x + 13);
    x += 90;
    fprintf(out,
            "<line x1=\"%d\" y1=\"47\" x2=\"%d\" y2=\"47\" class=\"msg\" marker-end=\"url(#a)\"/>"
            "<text x=\"%d\" y=\"51\">message</text>",
            x, x + 18, x + 22);
    x += 80;
    fprintf(out,
            "<line x1=\"%d\" y1=\"47\" x2=\"%d\" y2=\"47\" class=\"col\" marker-end=\"url(#c)\"/>"
            "<text x=\"%d\" y=\"51\">waits for (collective)</text>\n",
            x, x + 18, x + 22);
}

static void rows(view *v)
{
    const mkt_trace *t = v->t;
    char name[160];
    for (int g = 1; g < t->ngroups; g++) {
        int y = v->row_y[t->groups[g].first_pid] - 5;
        fprintf(v->out, "<text x=\"8\" y=\"%d\" font-weight=\"bold\">children of ", y);
        if (t->groups[g].parent == 0)
            fprintf(v->out, "rank %d", t->groups[g].parent_rank);
        else
            mkt_xml_text(v->out, t->groups[g].label);
        fputs(" (MPI_Comm_spawn)</text>\n", v->out);
    }
    for (int pid = 0; pid < t->nprocs; pid++) {
        const mkt_process *p = &t->procs[pid];
        int y = v->row_y[pid];
        fprintf(v->out, "<text x=\"8\" y=\"%d\">", y + BAR - 3);
        if (p->group == 0)
            fprintf(v->out, "rank %d", p->rank);
        else
            fprintf(v->out, "child %d", p->rank);
        fputs("</text>", v->out);
        double a = x_of(v, p->t_init), b = x_of(v, p->t_final);
        fprintf(v->out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"run\"><title>", a, y,
                b - a > 0 ? b - a : 0, BAR);
        mkt_xml_text(v->out, mkt_process_name(t, pid, name, sizeof name));
        fputs(" on ", v->out);
        mkt_xml_text(v->out, p->host);
        fputs("</title></rect>\n", v->out);
    }
}

/* The hover text of one call. */
static void slice_title(const view *v, const mkt_slice *s)
{
    char peer[160], dur[32], comm[64];
    mkt_kind k = mkt_func_kind(s->func);
    fprintf(v->out, "%s", mkt_func_name(s->func));
    mkt_process_name(v->t, s->peer, peer, sizeof peer);
    if (k == MKT_K_SEND || k == MKT_K_SENDRECV)
        fprintf(v->out, " to %s, tag %d", peer, s->tag);
    else if ((k == MKT_K_RECV || k == MKT_K_PROBE) && s->peer != MKT_PEER_NONE)
        fprintf(v->out, " from %s, tag %d", peer, s->tag);
    else if (k == MKT_K_COLL && s->peer >= 0)
        fprintf(v->out, " root %s", peer);
    if (k == MKT_K_COLL || k == MKT_K_SEND || k == MKT_K_RECV || k == MKT_K_SENDRECV) {
        fputs(" on ", v->out);
        mkt_xml_text(v->out, mkt_comm_name(v->t, s->comm, comm, sizeof comm));
    }
    if (s->sbytes + s->rbytes > 0)
        fprintf(v->out, ", %" PRId64 " B", s->sbytes + s->rbytes);
    if (s->count > 1 && k == MKT_K_PROBE)
        fprintf(v->out, ", %" PRIu32 " polls", s->count);
    fprintf(v->out, ", %s", mkt_format_ns(s->t1 - s->t0, dur, sizeof dur));
}

typedef struct {
    int open;
    double a, b;    /* px */
    size_t longest; /* slice shown in the title */
    size_t n;
} pending;

static void flush(view *v, pending *p, int y)
{
    if (!p->open)
        return;
    p->open = 0;
    if (v->drawn >= v->o->max_slices) {
        v->merged += p->n;
        return;
    }
    const mkt_slice *s = &v->t->slices[p->longest];
    double w = p->b - p->a < 0.4 ? 0.4 : p->b - p->a;
    fprintf(v->out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"k%d\"><title>", p->a, y, w, BAR,
            (int)mkt_func_kind(s->func));
    if (p->n > 1)
        fprintf(v->out, "%zu calls; longest: ", p->n);
    slice_title(v, s);
    fputs("</title></rect>\n", v->out);
    /* the function's name inside the rectangle, when it fits (about 5 px a character) */
    const char *name = mkt_func_name(s->func) + 4;
    if (w >= 5.2 * (double)strlen(name) + 6)
        fprintf(v->out, "<text x=\"%.1f\" y=\"%d\" class=\"in t%d\">%s%s</text>\n", p->a + 3, y + BAR - 4,
                (int)mkt_func_kind(s->func), p->n > 1 ? "~" : "", name);
    v->drawn++;
}

static void slices(view *v)
{
    const mkt_trace *t = v->t;
    pending p = {0, 0, 0, 0, 0};
    int pid = -1;
    for (size_t i = 0; i < t->nslices; i++) {
        const mkt_slice *s = &t->slices[i];
        if (s->pid != pid) {
            flush(v, &p, pid >= 0 ? v->row_y[pid] : 0);
            pid = s->pid;
        }
        if (s->t1 < v->t_from || s->t0 > v->t_to)
            continue;
        double a = x_of(v, s->t0), b = x_of(v, s->t1);
        /* merge what would share a pixel with the pending rectangle */
        if (p.open && a - p.b < 0.5 && (b - a < 1.0 || p.b - p.a < 1.0)) {
            if (b > p.b)
                p.b = b;
            const mkt_slice *l = &t->slices[p.longest];
            if (s->t1 - s->t0 > l->t1 - l->t0)
                p.longest = i;
            p.n++;
            continue;
        }
        flush(v, &p, v->row_y[pid]);
        p.open = 1;
        p.a = a;
        p.b = b;
        p.longest = i;
        p.n = 1;
    }
    flush(v, &p, pid >= 0 ? v->row_y[pid] : 0);
}

static void flows(view *v, size_t *shown)
{
    const mkt_trace *t = v->t;
    size_t step =
        t->nflows > v->o->max_flows && v->o->max_flows > 0 ? (t->nflows + v->o->max_flows - 1) / v->o->max_flows : 1;
    char a[160], b[160];
    *shown = 0;
    for (size_t i = 0; i < t->nflows && v->o->max_flows > 0; i += step) {
        const mkt_flow *f = &t->flows[i];
        const mkt_slice *from = &t->slices[f->from], *to = &t->slices[f->to];
        double x1 = x_of(v, f->t_from), x2 = x_of(v, f->t_to);
        int y1 = v->row_y[from->pid] + BAR / 2, y2 = v->row_y[to->pid] + BAR / 2;
        if (from->pid == to->pid)
            y2 += BAR / 2; /* a message to itself: a short slanted arrow within the row */
        int msg = f->kind == MKT_FLOW_MSG;
        fprintf(v->out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"%s\" marker-end=\"url(#%s)\"><title>", x1,
                y1, x2, y2, msg ? "msg" : "col", msg ? "a" : "c");
        mkt_process_name(t, from->pid, a, sizeof a);
        mkt_process_name(t, to->pid, b, sizeof b);
        if (msg)
            fprintf(v->out, "message %s to %s, %" PRId64 " B, tag %d", a, b, f->bytes, f->tag);
        else
            fprintf(v->out, "%s: %s waits for %s", mkt_func_name(to->func), b, a);
        fputs("</title></line>\n", v->out);
        (*shown)++;
    }
}

/* Ticks at 1, 2 or 5 times a power of ten, about eight of them. */
static void axis(view *v)
{
    int y = v->height - AXIS - 22;
    double span = (double)(v->t_to - v->t_from);
    double step = pow(10.0, floor(log10(span / 8.0)));
    if (span / step > 40)
        step *= 5;
    else if (span / step > 16)
        step *= 2;
    if (step < 1)
        step = 1;
    fprintf(v->out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"ax\"/>\n", LEFT, y, v->o->width - RIGHT, y);
    char label[32];
    for (int tick = 0; (double)tick * step <= span + 0.5; tick++) {
        double at = (double)tick * step, x = v->x0 + at * v->scale;
        fprintf(v->out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"ax\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"lab\">%s</text>\n",
                x, y, x, y + 4, x, y + 15, mkt_format_ns((int64_t)at, label, sizeof label));
    }
    fprintf(v->out, "<text x=\"%d\" y=\"%d\" class=\"lab\">time since the first rank left MPI_Init</text>\n", LEFT,
            y + 30);
}

static void footer(view *v, size_t shown_flows)
{
    const mkt_trace *t = v->t;
    char err[32];
    int y = v->height - 12;
    fprintf(v->out, "<text x=\"8\" y=\"%d\" class=\"lab\">", y);
    if (t->nhosts <= 1)
        fputs("one clock: every process ran on the same kernel", v->out);
    else
        fprintf(v->out, "%d hosts, clocks aligned within %s", t->nhosts,
                mkt_format_ns(t->clock_error, err, sizeof err));
    fprintf(v->out, "; %zu calls", t->nslices);
    if (v->merged > 0)
        fprintf(v->out, " (%zu past the drawing limit not shown)", v->merged);
    fprintf(v->out, "; %zu of %zu arrows shown", shown_flows, t->nflows);
    if (t->unmatched_sends + t->unmatched_recvs > 0)
        fprintf(v->out, "; %zu sends and %zu receives unmatched", t->unmatched_sends, t->unmatched_recvs);
    fputs("</text>\n</svg>\n", v->out);
}

int mkt_write_svg(FILE *out, const mkt_trace *t, const mkt_svg_options *o)
{
    mkt_svg_options defaults;
    if (o == NULL) {
        mkt_svg_defaults(&defaults);
        o = &defaults;
    }
    view v;
    memset(&v, 0, sizeof v);
    v.out = out;
    v.t = t;
    v.o = o;
    v.row_y = calloc((size_t)t->nprocs + 1, sizeof *v.row_y);
    if (v.row_y == NULL)
        return -1;
    layout(&v);
    header(&v);
    rows(&v);
    slices(&v);
    size_t shown = 0;
    flows(&v, &shown);
    axis(&v);
    footer(&v, shown);
    free(v.row_y);
    return ferror(out) ? -1 : 0;
}

const char *mkt_format_ns(int64_t ns, char *buf, size_t len)
{
    static const char *const units[] = {"ns", "us", "ms", "s"};
    double v = (double)ns;
    int u = 0;
    /* three significant digits; 999.7 us is "1 ms", not "1e+03 us" */
    while (u < 3 && fabs(v) >= 999.5) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, len, "%.3g %s", v, units[u]);
    return buf;
}
