package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.metrics.AdmissionMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.TenantRateSettings;
import io.streamrag.query.vote.Answers;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Each tenant's rate, keyed by tenant: a token bucket of candidates ({@code query.tenant.candidate-rate}, a question
 * costing its n) in front of retrieval and generation, whose capacity every tenant shares. A tenant within its rate
 * passes straight through; one over it waits in its own queue, in order, so a flood of one tenant's questions (n=32,
 * hour-long deadlines) delays that tenant, not the others. A question still waiting at its deadline, or arriving to a
 * full queue ({@code query.tenant.max-waiting}), is answered FAILED on {@link #REFUSED}. Processing-time timers wake
 * the queue when the head can go or a deadline passes; a tenant's state is cleared once its queue is empty and its
 * bucket full again.
 */
public class TenantAdmission extends KeyedProcessFunction<String, QuestionTask, QuestionTask> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Answer> REFUSED = new OutputTag<>("tenant-refused") {};

    private final TenantRateSettings settings;

    /** Candidates in the bucket at {@link #refilledAt}. */
    private transient ValueState<Double> tokens;
    private transient ValueState<Long> refilledAt;
    private transient ListState<QuestionTask> waiting;
    /** The one timer registered for this tenant (older ones are deleted when it moves). */
    private transient ValueState<Long> wakeAt;
    private transient AdmissionMetrics metrics;

    public TenantAdmission(TenantRateSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext context) {
        tokens = getRuntimeContext().getState(new ValueStateDescriptor<>("tokens", Types.DOUBLE));
        refilledAt = getRuntimeContext().getState(new ValueStateDescriptor<>("refilled-at", Types.LONG));
        waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", QuestionTask.class));
        wakeAt = getRuntimeContext().getState(new ValueStateDescriptor<>("wake-at", Types.LONG));
        metrics = new AdmissionMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(QuestionTask q, Context ctx, Collector<QuestionTask> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        double bucket = refill(now);
        List<QuestionTask> queue = queue();
        int cost = settings.cost(q);
        if (queue.isEmpty() && bucket >= cost) {
            bucket -= cost;
            out.collect(q);
        } else if (queue.size() >= settings.maxWaiting()) {
            refuse(q, ctx, "tenant over its rate: " + queue.size() + " of its questions already wait ("
                    + QueryOptions.TENANT_MAX_WAITING.key() + "=" + settings.maxWaiting() + ")");
        } else {
            queue.add(q);
            waiting.add(q);
            metrics.get(AdmissionMetrics.DELAYED).inc();
        }
        tokens.update(bucket);
        schedule(ctx, now, bucket, queue);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<QuestionTask> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        wakeAt.clear(); // this one fired
        double bucket = refill(now);
        List<QuestionTask> queue = queue();
        int before = queue.size();
        // In order: the head goes once the bucket holds its cost; whatever waited past its deadline is answered.
        for (Iterator<QuestionTask> it = queue.iterator(); it.hasNext(); ) {
            QuestionTask q = it.next();
            if (now >= q.deadlineAtMs()) {
                it.remove();
                refuse(q, ctx, "tenant over its rate: the question waited past its deadline behind its tenant's earlier "
                        + "questions (" + QueryOptions.TENANT_CANDIDATE_RATE.key() + "=" + settings.candidatesPerSecond() + ")");
            }
        }
        while (!queue.isEmpty() && bucket >= settings.cost(queue.get(0))) {
            QuestionTask head = queue.remove(0);
            bucket -= settings.cost(head);
            out.collect(head);
        }
        if (queue.size() != before) {
            waiting.update(queue);
        }
        tokens.update(bucket);
        schedule(ctx, now, bucket, queue);
    }

    /** The bucket now: what it held plus what the rate added since, at most a full bucket (a new tenant's is full). */
    private double refill(long now) throws Exception {
        Double held = tokens.value();
        Long at = refilledAt.value();
        double bucket = held == null || at == null ? settings.burst()
                : Math.min(settings.burst(), held + Math.max(0, now - at) / 1000.0 * settings.candidatesPerSecond());
        refilledAt.update(now);
        return bucket;
    }

    private List<QuestionTask> queue() throws Exception {
        List<QuestionTask> queue = new ArrayList<>();
        Iterable<QuestionTask> held = waiting.get();
        if (held != null) {
            held.forEach(queue::add);
        }
        return queue;
    }

    /**
     * One timer: when the head's cost is in the bucket or the earliest deadline passes; with nothing waiting, when the
     * bucket is full again, to clear the tenant's state (or now, when it already is).
     */
    private void schedule(Context ctx, long now, double bucket, List<QuestionTask> queue) throws Exception {
        long wake;
        if (!queue.isEmpty()) {
            wake = now + millisFor(settings.cost(queue.get(0)) - bucket);
            for (QuestionTask q : queue) {
                wake = Math.min(wake, q.deadlineAtMs());
            }
        } else if (bucket < settings.burst()) {
            wake = now + millisFor(settings.burst() - bucket);
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

    private long millisFor(double candidates) {
        return (long) Math.ceil(Math.max(0, candidates) / settings.candidatesPerSecond() * 1000);
    }

    private void refuse(QuestionTask q, Context ctx, String reason) {
        metrics.get(AdmissionMetrics.REFUSED).inc();
        Answer a = Answers.failed(q.questionId, q.tenant, q.strategy, reason, q.receivedAtMs);
        a.plan = q.plan;
        ctx.output(REFUSED, a);
    }
}
