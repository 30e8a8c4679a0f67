package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.query.generate.CallListener;
import io.streamrag.query.generate.ChatEndpoint;
import io.streamrag.query.generate.EndpointHealth;
import io.streamrag.query.records.CandidateResult;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Metrics of the generate operators, per endpoint (sub-group {@code endpoint=<name>}). */
public class GenerationMetrics extends ComponentMetrics implements CallListener {
    public static final String ISSUED = "candidatesIssued";
    public static final String SUCCEEDED = "candidatesSucceeded";
    public static final String FAILED = "candidatesFailed";
    public static final String TIMED_OUT = "candidatesTimedOut";
    public static final String RETRIED = "callsRetried";
    public static final String LATENCY = "candidateLatencyMs";
    public static final String CALL_LATENCY = "callLatencyMs";
    public static final String TOKENS_IN = "tokensIn";
    public static final String TOKENS_OUT = "tokensOut";
    /** Per endpoint and TaskManager (shared by the subtasks): 0 closed, 1 open, 2 half-open. */
    public static final String BREAKER_STATE = "breakerState";
    public static final String REJECTED = "callsRejected";
    public static final String HEDGED = "callsHedged";
    /** Spare calls started with their candidate (planned for stragglers), also counted in {@link #HEDGED}. */
    public static final String SPARED = "callsSpared";
    public static final String CANCELLED = "callsCancelled";
    public static final String QUEUE_DEPTH = "queueDepth";
    /** Candidates aborted because their question's vote was already decided. */
    public static final String CANDIDATES_CANCELLED = "candidatesCancelled";

    /** Counters of one endpoint. */
    static final class PerEndpoint extends ComponentMetrics {
        final Counter issued = sharedCounter(ISSUED);
        final Counter succeeded = sharedCounter(SUCCEEDED);
        final Counter failed = sharedCounter(FAILED);
        final Counter timedOut = sharedCounter(TIMED_OUT);
        final Counter retried = sharedCounter(RETRIED);
        final Histogram latency = histogram(LATENCY, 1000);
        final Histogram callLatency = histogram(CALL_LATENCY, 1000);

        PerEndpoint(MetricGroup g) {
            super(g);
        }
    }

    private final Map<String, PerEndpoint> endpoints = new ConcurrentHashMap<>();
    private final Counter tokensIn = sharedCounter(TOKENS_IN);
    private final Counter tokensOut = sharedCounter(TOKENS_OUT);
    public final Counter candidatesCancelled = sharedCounter(CANDIDATES_CANCELLED);

    public GenerationMetrics(MetricGroup group) {
        super(group);
    }

    /** Gauges of each endpoint's health: breaker state, rejected, hedged, spared and cancelled calls, queue depth. */
    public void register(Iterable<ChatEndpoint> endpoints) {
        for (ChatEndpoint e : endpoints) {
            EndpointHealth h = e.health();
            MetricGroup g = group.addGroup("endpoint", e.spec.name);
            g.gauge(BREAKER_STATE, (Gauge<Integer>) h::stateCode);
            g.gauge(REJECTED, (Gauge<Long>) h.rejected::get);
            g.gauge(HEDGED, (Gauge<Long>) h.hedged::get);
            g.gauge(SPARED, (Gauge<Long>) h.spared::get);
            g.gauge(CANCELLED, (Gauge<Long>) h.cancelled::get);
            g.gauge(QUEUE_DEPTH, (Gauge<Integer>) h::queueDepth);
        }
    }

    private PerEndpoint of(String endpoint) {
        return endpoints.computeIfAbsent(endpoint == null ? "unknown" : endpoint,
                e -> new PerEndpoint(group.addGroup("endpoint", e)));
    }

    public void issued(String endpoint) {
        of(endpoint).issued.inc();
    }

    public void completed(CandidateResult r) {
        PerEndpoint p = of(r.endpoint);
        if (r.ok()) {
            p.succeeded.inc();
        } else if (CandidateResult.TIMEOUT.equals(r.status)) {
            p.timedOut.inc();
        } else {
            p.failed.inc();
        }
        synchronized (p.latency) {
            p.latency.update(r.latencyMs);
        }
        tokensIn.inc(r.tokensIn);
        tokensOut.inc(r.tokensOut);
    }

    @Override
    public void retried(String endpoint) {
        of(endpoint).retried.inc();
    }

    @Override
    public void callLatency(String endpoint, long millis) {
        PerEndpoint p = of(endpoint);
        synchronized (p.callLatency) {
            p.callLatency.update(millis);
        }
    }
}
