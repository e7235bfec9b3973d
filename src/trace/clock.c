/* clock.c - aligning the clocks of processes on different machines.
 *
 * Processes that share a kernel (same boot id) read the same CLOCK_MONOTONIC: their map is
 * exact. Across machines a follower asks the reference for its time several times (Cristian's
 * method): with t_send and t_recv read by the follower around the reference's answer t_ref,
 * the reference read its clock somewhere inside [t_send, t_recv], so
 *     offset = t_ref - (t_send + t_recv) / 2   within +- (t_recv - t_send) / 2,
 * and the sample with the shortest round trip is the tightest. One estimate at MPI_Init and
 * one at MPI_Finalize give a linear map that also absorbs the drift between the two clocks
 * (NTP keeps rates within some ppm: 10 ppm is 10 us per second). */
#include "trace.h"

mkt_offset mkt_offset_estimate(const mkt_sample *s, int n)
{
    mkt_offset best = {0, 0, 0};
    int64_t best_rtt = -1;
    for (int i = 0; i < n; i++) {
        int64_t rtt = s[i].t_recv - s[i].t_send;
        if (rtt < 0 || (best_rtt >= 0 && rtt >= best_rtt))
            continue;
        best_rtt = rtt;
        int64_t mid = s[i].t_send + rtt / 2;
        best.at = mid;
        best.offset = s[i].t_ref - mid;
        best.error = (rtt + 1) / 2;
    }
    return best;
}

/* Where `local` falls between the two estimates, 0..1 (clamped: no extrapolation, so a
 * short run with two noisy estimates cannot tilt the times before MPI_Init). */
static double position(const mkt_clockmap *m, int64_t local)
{
    if (m->b.at <= m->a.at || local <= m->a.at)
        return 0.0;
    if (local >= m->b.at)
        return 1.0;
    return (double)(local - m->a.at) / (double)(m->b.at - m->a.at);
}

int64_t mkt_clock_apply(const mkt_clockmap *m, int64_t local)
{
    if (m->exact)
        return local;
    double f = position(m, local);
    double offset = (double)m->a.offset + f * (double)(m->b.offset - m->a.offset);
    return local + (int64_t)(offset < 0 ? offset - 0.5 : offset + 0.5);
}

int64_t mkt_clock_error(const mkt_clockmap *m, int64_t local)
{
    if (m->exact)
        return 0;
    double f = position(m, local);
    return (int64_t)((double)m->a.error + f * (double)(m->b.error - m->a.error) + 0.5);
}
