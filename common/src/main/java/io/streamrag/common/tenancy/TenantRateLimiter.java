package io.streamrag.common.tenancy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Each tenant's rate, keyed by tenant: a token bucket ({@link TenantRate}) in front of capacity every tenant shares. A
 * tenant within its rate passes straight through; one over it waits in its own queue, in order, so one tenant's flood
 * delays that tenant, not the others. A record arriving to a full queue (by count or by {@link #bytes}), or (where
 * records have deadlines) still waiting at its deadline, goes to {@link #refuse}. Processing-time timers wake the queue
 * when the head can go or a deadline passes; a tenant's state is cleared once its queue is empty and its bucket full.
 *
 * <p>Tenant names are whatever producers send, so all tenants' queues together are bounded too, per subtask
 * ({@link TenantRate#maxWaitingTotal()}, {@link TenantRate#maxWaitingBytesTotal()}): a record that would wait past
 * them is refused as one arriving to a full queue. The running totals are counted again from the keyed state after a
 * restore, by the {@link #operator() operator} this function must run in (after a rescale a subtask holds other
 * tenants' queues than it snapshotted).
 *
 * <p>The queue is a map by sequence number beside a small {@link TenantQueue}: a record over the rate costs one read
 * and two writes, whatever waits (a flood of inline documents, each some megabytes, must not be read back in full
 * for every new one, as a list state would on RocksDB). A job's subclass says what a record costs, what it weighs,
 * when it must have gone, and how a refusal is reported.
 *
 * <p>State of the first layout (the query job's operator before this one: the bucket in three values, the queue in a
 * list) is moved over when its tenant is next touched, so a savepoint of it restores with its waiting records.
 */
public abstract class TenantRateLimiter<T> extends KeyedProcessFunction<String, T, T> {
    private static final long serialVersionUID = 1L;

    /** Why a record was refused. */
    public enum Refusal {
        /** {@link TenantRate#maxWaiting()} of its tenant's records already waited. */
        QUEUE_FULL,
        /** Its tenant's waiting records and it would weigh more than {@link TenantRate#maxWaitingBytes()}. */
        QUEUE_TOO_LARGE,
        /** It was still waiting at its {@link #deadlineAtMs deadline}. */
        PAST_DEADLINE,
        /** {@link TenantRate#maxWaitingTotal()} records of all tenants already waited on this subtask. */
        ALL_QUEUES_FULL,
        /** All tenants' waiting records on this subtask and it would weigh more than {@link TenantRate#maxWaitingBytesTotal()}. */
        ALL_QUEUES_TOO_LARGE
    }

    protected final TenantRate rate;
    private final Class<T> type;

    private transient ValueStateDescriptor<TenantQueue> stateDescriptor;
    private transient ValueState<TenantQueue> state;
    private transient MapState<Long, T> waiting;
    /** The timestamps the waiting records came with, by the same sequence number (none: they came without). */
    private transient MapState<Long, Long> stamps;
    /** The first layout's, read only to move a restored tenant over. */
    private transient ValueState<Double> firstTokens;
    private transient ValueState<Long> firstRefilledAt;
    private transient ValueState<Long> firstWakeAt;
    private transient ListStateDescriptor<T> firstWaitingDescriptor;
    private transient ListState<T> firstWaiting;
    private transient TenantRateMetrics metrics;
    /** Records, and what they weigh, waiting in all tenants' queues on this subtask (task thread only). */
    private transient long waitingTotal;
    private transient long waitingBytesTotal;
    /** Whether {@link #countWaiting} has counted the restored queues into the totals. */
    private transient boolean counted;
    /** The count and bytes of the tenant's queue as {@link #refill} read it, for the totals when it is stored. */
    private transient int loadedCount;
    private transient long loadedBytes;

    protected TenantRateLimiter(TenantRate rate, Class<T> type) {
        if (!rate.enabled()) {
            throw new IllegalArgumentException("a tenant rate limiter needs a rate above 0");
        }
        this.rate = rate;
        this.type = type;
    }

    /** What the job limits, which names the metrics: {@link TenantRateMetrics#DOCUMENTS} or {@link TenantRateMetrics#QUESTIONS}. */
    protected abstract TenantRateMetrics.Unit unit();

    /** What {@code record} spends of its tenant's bucket (at most a full bucket is charged; 0 is free). */
    protected abstract int cost(T record);

    /** What {@code record} weighs while it waits, against {@link TenantRate#maxWaitingBytes()}; by default nothing. */
    protected long bytes(T record) {
        return 0;
    }

    /** When {@code record} must have gone on (epoch millis); by default never. */
    protected long deadlineAtMs(T record) {
        return Long.MAX_VALUE;
    }

    /**
     * Reports {@code record} as refused, on a side output. {@code waiting}: its tenant's records waiting when it was, or
     * all tenants' on this subtask for {@link Refusal#ALL_QUEUES_FULL} and {@link Refusal#ALL_QUEUES_TOO_LARGE}.
     */
    protected abstract void refuse(T record, Context ctx, Refusal why, int waiting);

    /** The operator to run this in: it counts the waiting records a restore brought into this subtask's totals. */
    public KeyedProcessOperator<String, T, T> operator() {
        return new Operator<>(this);
    }

    /** A {@link KeyedProcessOperator} that counts its {@link TenantRateLimiter}'s restored queues once it is open. */
    private static final class Operator<T> extends KeyedProcessOperator<String, T, T> {
        private static final long serialVersionUID = 1L;

        Operator(TenantRateLimiter<T> limiter) {
            super(limiter);
        }

        @Override
        @SuppressWarnings("unchecked")
        public void open() throws Exception {
            super.open();
            ((TenantRateLimiter<T>) userFunction).countWaiting(getKeyedStateBackend());
        }
    }

    /**
     * Counts what every tenant's queue on this subtask holds into the totals: the key groups restored here, which after a
     * rescale are not the ones this subtask snapshotted. Queues of the first layout count as they will when moved over.
     */
    void countWaiting(KeyedStateBackend<String> backend) throws Exception {
        long[] total = new long[2];
        backend.applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, stateDescriptor, (tenant, s) -> {
            TenantQueue q = s.value();
            if (q != null) {
                total[0] += q.count;
                total[1] += q.bytes;
            }
        });
        backend.applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, firstWaitingDescriptor, (tenant, s) -> {
            Iterable<T> held = s.get();
            if (held != null) {
                for (T record : held) {
                    total[0]++;
                    total[1] += Math.max(0, bytes(record));
                }
            }
        });
        waitingTotal = total[0];
        waitingBytesTotal = total[1];
        counted = true;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        stateDescriptor = new ValueStateDescriptor<>("tenant-queue", TenantQueue.class);
        state = getRuntimeContext().getState(stateDescriptor);
        waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>("queue", Types.LONG, TypeInformation.of(type)));
        stamps = getRuntimeContext().getMapState(new MapStateDescriptor<>("queue-stamps", Types.LONG, Types.LONG));
        firstTokens = getRuntimeContext().getState(new ValueStateDescriptor<>("tokens", Types.DOUBLE));
        firstRefilledAt = getRuntimeContext().getState(new ValueStateDescriptor<>("refilled-at", Types.LONG));
        firstWakeAt = getRuntimeContext().getState(new ValueStateDescriptor<>("wake-at", Types.LONG));
        firstWaitingDescriptor = new ListStateDescriptor<>("waiting", type);
        firstWaiting = getRuntimeContext().getListState(firstWaitingDescriptor);
        metrics = new TenantRateMetrics(getRuntimeContext().getMetricGroup(), unit());
        waitingTotal = 0;
        waitingBytesTotal = 0;
        counted = false;
    }

    @Override
    public void processElement(T record, Context ctx, Collector<T> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        TenantQueue q = refill(now);
        int cost = charge(record);
        long weight = Math.max(0, bytes(record));
        T head = null;
        if (q.count == 0 && q.tokens >= cost) {
            q.tokens -= cost;
            out.collect(record);
        } else if (q.count >= rate.maxWaiting()) {
            metrics.refused();
            refuse(record, ctx, Refusal.QUEUE_FULL, q.count);
        } else if (weight > rate.maxWaitingBytes() - q.bytes) {
            metrics.refused();
            refuse(record, ctx, Refusal.QUEUE_TOO_LARGE, q.count);
        } else if (waitingTotal >= rate.maxWaitingTotal()) {
            metrics.refused();
            refuse(record, ctx, Refusal.ALL_QUEUES_FULL, (int) Math.min(Integer.MAX_VALUE, waitingTotal));
        } else if (weight > rate.maxWaitingBytesTotal() - waitingBytesTotal) { // below 0 after a rescale merged subtasks
            metrics.refused();
            refuse(record, ctx, Refusal.ALL_QUEUES_TOO_LARGE, (int) Math.min(Integer.MAX_VALUE, waitingTotal));
        } else {
            if (ctx.timestamp() != null) {
                stamps.put(q.tail, ctx.timestamp());
            }
            waiting.put(q.tail++, record);
            q.count++;
            q.bytes += weight;
            q.earliestDeadline = Math.min(q.earliestDeadline, deadlineAtMs(record));
            metrics.delayed();
            head = q.count == 1 ? record : null; // behind others, the timer for the head stands
        }
        schedule(ctx, now, q, head);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<T> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        TenantQueue q = refill(now);
        q.wakeAt = 0; // this one fired
        if (now >= q.earliestDeadline) {
            refuseExpired(q, now, ctx);
        }
        // In order: the head goes once the bucket holds its cost.
        T head = null;
        while (q.count > 0) {
            head = head(q);
            if (q.tokens < charge(head)) {
                break;
            }
            q.tokens -= charge(head);
            Long stamp = stamps.get(q.head);
            stamps.remove(q.head);
            waiting.remove(q.head++);
            q.count--;
            // Never below zero: records queued by a release that weighed none (the query job's, before it counted
            // text) weigh something when they leave.
            q.bytes = Math.max(0, q.bytes - Math.max(0, bytes(head)));
            release(head, stamp, out);
            head = null;
        }
        if (q.count == 0) {
            q.head = q.tail;
            q.bytes = 0;
            q.earliestDeadline = Long.MAX_VALUE;
        }
        schedule(ctx, now, q, head);
    }

    /**
     * Hands a released record on with the timestamp it came with, as if it had passed straight through (the ingest
     * job's quarantine tells a replay from a new document by it). A function has no call to stamp what a timer emits,
     * but the collector its operator hands a timer is a {@link TimestampedCollector}, which erased the timer's time.
     */
    private static <T> void release(T record, Long stamp, Collector<T> out) {
        if (out instanceof TimestampedCollector<T> stamped) {
            if (stamp != null) {
                stamped.setAbsoluteTimestamp(stamp);
            } else {
                stamped.eraseTimestamp();
            }
        }
        out.collect(record);
    }

    /** Refuses every waiting record whose deadline has passed (a scan, only when the earliest one has). */
    private void refuseExpired(TenantQueue q, long now, Context ctx) throws Exception {
        int before = q.count;
        List<Long> expired = new ArrayList<>();
        long earliest = Long.MAX_VALUE;
        for (Map.Entry<Long, T> e : waiting.entries()) {
            long deadline = deadlineAtMs(e.getValue());
            if (now >= deadline) {
                expired.add(e.getKey());
                metrics.refused();
                refuse(e.getValue(), ctx, Refusal.PAST_DEADLINE, before);
                q.bytes = Math.max(0, q.bytes - Math.max(0, bytes(e.getValue())));
            } else {
                earliest = Math.min(earliest, deadline);
            }
        }
        for (Long seq : expired) {
            waiting.remove(seq);
            stamps.remove(seq);
        }
        q.count -= expired.size();
        q.earliestDeadline = earliest;
    }

    /** The cost charged: at most a full bucket, so any record can pass once the bucket is full. */
    private int charge(T record) {
        return Math.max(0, Math.min(cost(record), rate.burst()));
    }

    /** The tenant's state with its bucket refilled to now: what it held plus what the rate added (a new tenant's is full). */
    private TenantQueue refill(long now) throws Exception {
        if (!counted) {
            throw new IllegalStateException(getClass().getSimpleName() + " must run in its own operator ("
                    + "TenantRateLimiter.operator()), which counts the restored queues into the subtask's totals");
        }
        TenantQueue q = state.value();
        if (q == null && (q = fromFirstLayout()) == null) {
            q = new TenantQueue();
            q.tokens = rate.burst();
        } else {
            q.tokens = Math.min(rate.burst(), q.tokens + Math.max(0, now - q.refilledAt) / 1000.0 * rate.perSecond());
        }
        q.refilledAt = now;
        loadedCount = q.count; // a first layout's records were counted by countWaiting
        loadedBytes = q.bytes;
        return q;
    }

    /** The tenant's state in the first layout, moved over (its timer stands), or null when it has none. */
    private TenantQueue fromFirstLayout() throws Exception {
        Double tokens = firstTokens.value();
        if (tokens == null) {
            return null;
        }
        TenantQueue q = new TenantQueue();
        q.tokens = tokens;
        Long refilledAt = firstRefilledAt.value();
        q.refilledAt = refilledAt == null ? 0 : refilledAt;
        Long wakeAt = firstWakeAt.value();
        q.wakeAt = wakeAt == null ? 0 : wakeAt;
        Iterable<T> held = firstWaiting.get();
        if (held != null) {
            for (T record : held) {
                waiting.put(q.tail++, record);
                q.count++;
                q.bytes += Math.max(0, bytes(record));
                q.earliestDeadline = Math.min(q.earliestDeadline, deadlineAtMs(record));
            }
        }
        firstTokens.clear();
        firstRefilledAt.clear();
        firstWakeAt.clear();
        firstWaiting.clear();
        return q;
    }

    /** The oldest waiting record (there is one), past the gaps records refused at their deadline left. */
    private T head(TenantQueue q) throws Exception {
        T head = waiting.get(q.head);
        while (head == null) {
            head = waiting.get(++q.head);
        }
        return head;
    }

    /**
     * One timer: when the head's cost is in the bucket or the earliest deadline passes; with nothing waiting, when the
     * bucket is full again, to clear the tenant's state (or now, when it already is). Stores {@code q} unless cleared.
     * {@code head}: the head when it changed, else null (the timer set for it stands, unless a deadline comes first).
     */
    private void schedule(Context ctx, long now, TenantQueue q, T head) throws Exception {
        long wake;
        if (q.count > 0) {
            if (head == null && q.wakeAt == 0) {
                head = head(q);
            }
            wake = Math.min(head != null ? after(now, charge(head) - q.tokens) : q.wakeAt, q.earliestDeadline);
        } else if (q.tokens < rate.burst()) {
            wake = after(now, rate.burst() - q.tokens);
        } else {
            if (q.wakeAt != 0) {
                ctx.timerService().deleteProcessingTimeTimer(q.wakeAt);
            }
            state.clear();
            waiting.clear();
            stamps.clear();
            account(0, 0);
            return;
        }
        wake = Math.max(wake, now + 1);
        if (q.wakeAt != wake) {
            if (q.wakeAt != 0) {
                ctx.timerService().deleteProcessingTimeTimer(q.wakeAt);
            }
            ctx.timerService().registerProcessingTimeTimer(wake);
            q.wakeAt = wake;
        }
        state.update(q);
        account(q.count, q.bytes);
    }

    /** Moves the subtask's totals by what the tenant's queue holds now against what {@link #refill} read. */
    private void account(int count, long bytes) {
        waitingTotal += count - loadedCount;
        waitingBytesTotal += bytes - loadedBytes;
    }

    /** When the rate has put {@code units} into the bucket, counted from {@code now}; never past the end of time. */
    private long after(long now, double units) {
        long millis = (long) Math.ceil(Math.max(0, units) / rate.perSecond() * 1000); // saturates at Long.MAX_VALUE
        return millis > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + millis;
    }
}
