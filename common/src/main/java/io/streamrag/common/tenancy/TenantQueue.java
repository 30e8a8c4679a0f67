package io.streamrag.common.tenancy;

/**
 * Keyed state of one tenant in a {@link TenantRateLimiter}: its bucket and the bookkeeping of its queue, whose records
 * sit in a map by sequence number, so a record arriving over the rate costs one read of this, not of the whole queue.
 */
public class TenantQueue {
    /** Units in the bucket at {@link #refilledAt}. */
    public double tokens;
    public long refilledAt;
    /** The one processing-time timer registered for this tenant; 0: none. */
    public long wakeAt;
    /** Sequence number of the oldest record that may still wait (records refused at their deadline leave gaps). */
    public long head;
    /** Sequence number the next waiting record gets. */
    public long tail;
    /** Records waiting. */
    public int count;
    /** What the waiting records weigh together ({@link TenantRateLimiter#bytes}). */
    public long bytes;
    /** The earliest deadline among the waiting records; {@link Long#MAX_VALUE}: none. */
    public long earliestDeadline = Long.MAX_VALUE;

    public TenantQueue() {}
}
