package io.streamrag.common.tenancy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Each tenant's rate, keyed by tenant: a token bucket ({@link TenantRate}) in front of capacity every tenant shares. A
 * tenant within its rate passes straight through; one over it waits in its own queue, in order, so one tenant's flood
 * delays that tenant, not the others. A record arriving to a full queue, or (where records have deadlines) still
 * waiting at its deadline, goes to {@link #refuse}. Processing-time timers wake the queue when the head can go or a
 * deadline passes; a tenant's state is cleared once its queue is empty and its bucket full again.
 *
 * <p>A job's subclass says what a record costs, when it must have gone, and how a refusal is reported. The state names
 * are those of the query job's first release of this operator, so its savepoints restore.
 */
public abstract class TenantRateLimiter<T> extends KeyedProcessFunction<String, T, T> {
    private static final long serialVersionUID = 1L;

    /** Why a record was refused. */
    public enum Refusal {
        /** {@link TenantRate#maxWaiting()} of its tenant's records already waited. */
        QUEUE_FULL,
        /** It was still waiting at its {@link #deadlineAtMs deadline}. */
        PAST_DEADLINE
    }

    protected final TenantRate rate;
    private final Class<T> type;
    private final String unit;

    /** Units in the bucket at {@link #refilledAt}. */
    private transient ValueState<Double> tokens;
    private transient ValueState<Long> refilledAt;
    private transient ListState<T> waiting;
    /** The one timer registered for this tenant (older ones are deleted when it moves). */
    private transient ValueState<Long> wakeAt;
    private transient TenantRateMetrics metrics;

    /** @param unit what is limited, for the metric names: {@code Questions} gives {@code tenantQuestionsDelayed} */
    protected TenantRateLimiter(TenantRate rate, Class<T> type, String unit) {
        if (!rate.enabled()) {
            throw new IllegalArgumentException("a tenant rate limiter needs a rate above 0");
        }
        this.rate = rate;
        this.type = type;
        this.unit = unit;
    }

    /** What {@code record} spends of its tenant's bucket (at most a full bucket is charged; 0 is free). */
    protected abstract int cost(T record);

    /** When {@code record} must have gone on (epoch millis); by default never. */
    protected long deadlineAtMs(T record) {
        return Long.MAX_VALUE;
    }

    /** Reports {@code record} as refused ({@code waiting}: its tenant's records waiting when it was), on a side output. */
    protected abstract void refuse(T record, Context ctx, Refusal why, int waiting);

    @Override
    public void open(OpenContext context) throws Exception {
        tokens = getRuntimeContext().getState(new ValueStateDescriptor<>("tokens", Types.DOUBLE));
        refilledAt = getRuntimeContext().getState(new ValueStateDescriptor<>("refilled-at", Types.LONG));
        waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", type));
        wakeAt = getRuntimeContext().getState(new ValueStateDescriptor<>("wake-at", Types.LONG));
        metrics = new TenantRateMetrics(getRuntimeContext().getMetricGroup(), unit);
    }

    @Override
    public void processElement(T record, Context ctx, Collector<T> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        double bucket = refill(now);
        List<T> queue = queue();
        int cost = charge(record);
        if (queue.isEmpty() && bucket >= cost) {
            bucket -= cost;
            out.collect(record);
        } else if (queue.size() >= rate.maxWaiting()) {
            metrics.refused.inc();
            refuse(record, ctx, Refusal.QUEUE_FULL, queue.size());
        } else {
            queue.add(record);
            waiting.add(record);
            metrics.delayed.inc();
        }
        tokens.update(bucket);
        schedule(ctx, now, bucket, queue);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<T> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        wakeAt.clear(); // this one fired
        double bucket = refill(now);
        List<T> queue = queue();
        int before = queue.size();
        // In order: the head goes once the bucket holds its cost; whatever waited past its deadline is refused.
        for (Iterator<T> it = queue.iterator(); it.hasNext(); ) {
            T record = it.next();
            if (now >= deadlineAtMs(record)) {
                it.remove();
                metrics.refused.inc();
                refuse(record, ctx, Refusal.PAST_DEADLINE, before);
            }
        }
        while (!queue.isEmpty() && bucket >= charge(queue.get(0))) {
            T head = queue.remove(0);
            bucket -= charge(head);
            out.collect(head);
        }
        if (queue.size() != before) {
            waiting.update(queue);
        }
        tokens.update(bucket);
        schedule(ctx, now, bucket, queue);
    }

    /** The cost charged: at most a full bucket, so any record can pass once the bucket is full. */
    private int charge(T record) {
        return Math.max(0, Math.min(cost(record), rate.burst()));
    }

    /** The bucket now: what it held plus what the rate added since, at most a full bucket (a new tenant's is full). */
    private double refill(long now) throws Exception {
        Double held = tokens.value();
        Long at = refilledAt.value();
        double bucket = held == null || at == null ? rate.burst()
                : Math.min(rate.burst(), held + Math.max(0, now - at) / 1000.0 * rate.perSecond());
        refilledAt.update(now);
        return bucket;
    }

    private List<T> queue() throws Exception {
        List<T> queue = new ArrayList<>();
        Iterable<T> held = waiting.get();
        if (held != null) {
            held.forEach(queue::add);
        }
        return queue;
    }

    /**
     * One timer: when the head's cost is in the bucket or the earliest deadline passes; with nothing waiting, when the
     * bucket is full again, to clear the tenant's state (or now, when it already is).
     */
    private void schedule(Context ctx, long now, double bucket, List<T> queue) throws Exception {
        long wake;
        if (!queue.isEmpty()) {
            wake = now + millisFor(charge(queue.get(0)) - bucket);
            for (T record : queue) {
                wake = Math.min(wake, deadlineAtMs(record));
            }
        } else if (bucket < rate.burst()) {
            wake = now + millisFor(rate.burst() - bucket);
        } else {
            Long registered = wakeAt.value();
            if (registered != null) {
                ctx.timerService().deleteProcessingTimeTimer(registered);
            }
            tokens.clear();
            refilledAt.clear();
            waiting.clear();
            wakeAt.clear();
            return;
        }
        wake = Math.max(wake, now + 1);
        Long registered = wakeAt.value();
        if (registered == null || registered != wake) {
            if (registered != null) {
                ctx.timerService().deleteProcessingTimeTimer(registered);
            }
            ctx.timerService().registerProcessingTimeTimer(wake);
            wakeAt.update(wake);
        }
    }

    private long millisFor(double units) {
        return (long) Math.ceil(Math.max(0, units) / rate.perSecond() * 1000);
    }
}
