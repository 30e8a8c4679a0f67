package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
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
    private static final MetricSpecs SPECS = new MetricSpecs();
    /** Per endpoint, in the sub-group {@code endpoint=<name>}. */
    private static final MetricSpecs PER_ENDPOINT = new MetricSpecs();
    public static final MetricSpec<Counter> ISSUED = PER_ENDPOINT.sharedCounter("candidatesIssued");
    public static final MetricSpec<Counter> SUCCEEDED = PER_ENDPOINT.sharedCounter("candidatesSucceeded");
    public static final MetricSpec<Counter> FAILED = PER_ENDPOINT.sharedCounter("candidatesFailed");
    public static final MetricSpec<Counter> TIMED_OUT = PER_ENDPOINT.sharedCounter("candidatesTimedOut");
    public static final MetricSpec<Counter> RETRIED = PER_ENDPOINT.sharedCounter("callsRetried");
    public static final MetricSpec<Histogram> LATENCY = PER_ENDPOINT.histogram("candidateLatencyMs", 1000);
    public static final MetricSpec<Histogram> CALL_LATENCY = PER_ENDPOINT.histogram("callLatencyMs", 1000);
    /** Per endpoint and TaskManager (shared by the subtasks): 0 closed, 1 open, 2 half-open. */
    public static final MetricSpec<Gauge<Integer>> BREAKER_STATE = PER_ENDPOINT.gauge("breakerState");
    public static final MetricSpec<Gauge<Long>> REJECTED = PER_ENDPOINT.gauge("callsRejected");
    public static final MetricSpec<Gauge<Long>> HEDGED = PER_ENDPOINT.gauge("callsHedged");
    /** Spare calls started with their candidate (planned for stragglers), also counted in {@link #HEDGED}. */
    public static final MetricSpec<Gauge<Long>> SPARED = PER_ENDPOINT.gauge("callsSpared");
    public static final MetricSpec<Gauge<Long>> CANCELLED = PER_ENDPOINT.gauge("callsCancelled");
    public static final MetricSpec<Gauge<Integer>> QUEUE_DEPTH = PER_ENDPOINT.gauge("queueDepth");
    public static final MetricSpec<Counter> TOKENS_IN = SPECS.sharedCounter("tokensIn");
    public static final MetricSpec<Counter> TOKENS_OUT = SPECS.sharedCounter("tokensOut");
    /** Candidates aborted because their question's vote was already decided. */
    public static final MetricSpec<Counter> CANDIDATES_CANCELLED = SPECS.sharedCounter("candidatesCancelled");
    /** Questions the operator keeps candidates of (fixed-N generate): it falls back to 0 when the stream is idle. */
    public static final MetricSpec<Gauge<Integer>> QUESTIONS_IN_FLIGHT = SPECS.gauge("questionsInFlight");

    /** The metrics of one endpoint. */
    static final class PerEndpoint extends ComponentMetrics {
        PerEndpoint(MetricGroup g) {
            super(g, PER_ENDPOINT);
        }

        /** Registers the gauges of the endpoint's health. */
        void register(EndpointHealth h) {
            gauge(BREAKER_STATE, h::stateCode);
            gauge(REJECTED, h.rejected::get);
            gauge(HEDGED, h.hedged::get);
            gauge(SPARED, h.spared::get);
            gauge(CANCELLED, h.cancelled::get);
            gauge(QUEUE_DEPTH, h::queueDepth);
        }
    }

    private final Map<String, PerEndpoint> endpoints = new ConcurrentHashMap<>();

    public GenerationMetrics(MetricGroup group) {
        super(group, SPECS);
    }

    /** Registers the gauge of the questions in flight. */
    public void questionsInFlight(Gauge<Integer> count) {
        gauge(QUESTIONS_IN_FLIGHT, count);
    }

    /** Gauges of each endpoint's health: breaker state, rejected, hedged, spared and cancelled calls, queue depth. */
    public void register(Iterable<ChatEndpoint> endpoints) {
        for (ChatEndpoint e : endpoints) {
            of(e.spec.name).register(e.health());
        }
    }

    private PerEndpoint of(String endpoint) {
        return endpoints.computeIfAbsent(endpoint == null ? "unknown" : endpoint,
                e -> new PerEndpoint(group.addGroup("endpoint", e)));
    }

    public void issued(String endpoint) {
        of(endpoint).get(ISSUED).inc();
    }

    public void completed(CandidateResult r) {
        get(TOKENS_IN).inc(r.tokensIn);
        get(TOKENS_OUT).inc(r.tokensOut);
        if (r.is(CandidateResult.Status.CANCELLED)) {
            return; // the decided vote aborted it (candidatesCancelled): neither the endpoint's failure nor its latency
        }
        PerEndpoint p = of(r.endpoint);
        if (r.ok()) {
            p.get(SUCCEEDED).inc();
        } else if (r.is(CandidateResult.Status.TIMEOUT)) {
            p.get(TIMED_OUT).inc();
        } else {
            p.get(FAILED).inc();
        }
        Histogram latency = p.get(LATENCY);
        synchronized (latency) {
            latency.update(r.latencyMs);
        }
    }

    @Override
    public void retried(String endpoint) {
        of(endpoint).get(RETRIED).inc();
    }

    @Override
    public void tokensSpent(String endpoint, long tokensIn, long tokensOut) {
        get(TOKENS_IN).inc(tokensIn);
        get(TOKENS_OUT).inc(tokensOut);
    }

    @Override
    public void callLatency(String endpoint, long millis) {
        Histogram callLatency = of(endpoint).get(CALL_LATENCY);
        synchronized (callLatency) {
            callLatency.update(millis);
        }
    }
}
