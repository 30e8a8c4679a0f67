package io.streamrag.query.functions;

import io.streamrag.query.generate.CandidateCall;
import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.generate.Generators;
import io.streamrag.query.generate.HedgeBudget;
import io.streamrag.query.metrics.AdaptiveMetrics;
import io.streamrag.query.metrics.GenerationMetrics;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.records.VoteInputs;
import io.streamrag.query.vote.StopRule;
import io.streamrag.query.vote.VoteTally;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Adaptive sampling for one question inside one async call: asks for candidates in waves and stops once the vote is
 * settled ({@link StopRule}); the vote operator still does the final aggregation. Unasked calls are reported
 * as {@code usage.candidatesSaved}. A feedback edge from the vote would need a Flink iteration; this avoids it.
 * At the question's deadline it hands over what it has and aborts the calls still running.
 */
public class AdaptiveGenerate extends RichAsyncFunction<Retrieval, VoteInput> {
    private static final long serialVersionUID = 1L;

    private final GenerateSettings settings;
    private final List<EndpointSpec> specs;
    private final List<String> endpoints;
    private final double maxWeight;
    private transient CandidateGenerator generator;
    private transient GenerationMetrics metrics;
    private transient AdaptiveMetrics adaptiveMetrics;
    /** Candidates finished so far per question, so a timeout can still hand them to the vote. */
    private transient Map<String, Progress> inFlight;
    private transient ScheduledExecutorService timers;

    /** What one question has done so far. */
    static final class Progress {
        final List<CandidateResult> results = Collections.synchronizedList(new ArrayList<>());
        final List<CandidateCall> calls = Collections.synchronizedList(new ArrayList<>());
        HedgeBudget budget;
        volatile ScheduledFuture<?> deadlineTimer;
        volatile int issued;
        volatile boolean done;
    }

    /** Less time left than this, and a further wave is not started: the question is handed over as it is. */
    static final long MIN_WAVE_TIME_MS = 50;

    public AdaptiveGenerate(GenerateSettings settings, List<EndpointSpec> specs) {
        this.settings = settings;
        this.specs = specs;
        this.endpoints = specs.stream().map(s -> s.name).collect(Collectors.toList());
        this.maxWeight = EndpointSpec.maxWeight(specs);
    }

    @Override
    public void open(OpenContext context) {
        metrics = new GenerationMetrics(getRuntimeContext().getMetricGroup());
        adaptiveMetrics = new AdaptiveMetrics(getRuntimeContext().getMetricGroup());
        generator = Generators.create(settings, specs, metrics);
        metrics.register(generator.endpoints());
        inFlight = new ConcurrentHashMap<>();
        ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "adaptive-deadlines");
            t.setDaemon(true);
            return t;
        });
        // A finished question cancels its deadline task: gone from the queue at once, not kept (with its retrieval and
        // results) until its deadline, up to an hour later.
        deadlines.setRemoveOnCancelPolicy(true);
        timers = deadlines;
    }

    @Override
    public void asyncInvoke(Retrieval r, ResultFuture<VoteInput> resultFuture) {
        Progress p = new Progress();
        p.budget = generator.hedgeSettings().budget(r.question.n);
        inFlight.put(r.question.arrivalKey(), p);
        // Handed over a margin before the deadline: the vote answers at the deadline, with what has reached it.
        long left = r.question.handoverAtMs() - System.currentTimeMillis();
        p.deadlineTimer = timers.schedule(() -> finish(r, p, resultFuture), Math.max(0, left), TimeUnit.MILLISECONDS);
        wave(r, p, Math.min(settings.firstWave(), r.question.n), resultFuture);
    }

    private void wave(Retrieval r, Progress p, int size, ResultFuture<VoteInput> resultFuture) {
        double temperature = settings.temperature();
        List<CompletableFuture<CandidateResult>> futures = new ArrayList<>();
        // Issued under the lock finish() sets 'done' under: once the deadline timer has finished the question, no wave
        // starts calls that its cancel loop would miss, and the count of calls issued is final.
        synchronized (p) {
            if (p.done) {
                return;
            }
            adaptiveMetrics.get(AdaptiveMetrics.WAVES).inc();
            for (int i = 0; i < size; i++) {
                CandidateRequest req = FanOut.request(r, p.issued++, endpoints, temperature);
                metrics.issued(req.endpoint);
                CandidateCall call = generator.start(req, p.budget);
                p.calls.add(call);
                futures.add(call.result.thenApply(res -> {
                    metrics.completed(res);
                    p.results.add(res);
                    return res;
                }));
            }
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).whenComplete((ignored, error) -> {
            if (p.done) {
                return; // timed out meanwhile
            }
            int remaining = r.question.n - p.issued;
            // No wave this close to the deadline: its calls could only fail (a call's own time-left timeout may
            // fire a moment before the deadline timer, ending the wave just before it).
            boolean timeLeft = System.currentTimeMillis() + MIN_WAVE_TIME_MS < r.question.handoverAtMs();
            if (remaining > 0 && timeLeft && !settled(p, remaining)) {
                wave(r, p, Math.min(settings.waveSize(), remaining), resultFuture);
            } else {
                finish(r, p, resultFuture);
            }
        });
    }

    private boolean settled(Progress p, int remaining) {
        List<CandidateResult> snapshot;
        synchronized (p.results) {
            snapshot = new ArrayList<>(p.results);
        }
        List<VoteTally.Group> groups = VoteTally.of(snapshot).groups();
        int leader = groups.isEmpty() ? 0 : groups.get(0).count;
        int runnerUp = groups.size() > 1 ? groups.get(1).count : 0;
        return settings.stopRule().shouldStop(leader, runnerUp, remaining, settings.threshold(), settings.lead());
    }

    private void finish(Retrieval r, Progress p, ResultFuture<VoteInput> resultFuture) {
        synchronized (p) {
            if (p.done) {
                return;
            }
            p.done = true;
        }
        if (p.deadlineTimer != null) {
            p.deadlineTimer.cancel(false);
        }
        inFlight.remove(r.question.arrivalKey(), p);
        // One result per call issued, those still running cancelled and TIMEOUT, as a fixed-N question's: handed over
        // without them, the vote expected only the finished ones (none: it answered "no candidate succeeded" before the
        // deadline) and the answer showed neither the calls made nor their cost.
        List<CandidateResult> results;
        synchronized (p.calls) {
            results = generator.handOver(p.calls);
        }
        metrics.get(GenerationMetrics.CANDIDATES_CANCELLED).inc(results.stream()
                .filter(c -> CandidateGenerator.STILL_RUNNING_AT_HANDOVER.equals(c.error)).count());
        VoteInput v = VoteInputs.candidates(r.question, maxWeight, results);
        v.finalExpected = results.size();
        v.saved = r.question.n - p.issued;
        if (v.saved > 0) {
            adaptiveMetrics.get(AdaptiveMetrics.CALLS_SAVED).inc(v.saved);
            adaptiveMetrics.get(AdaptiveMetrics.STOPPED_EARLY).inc();
        }
        resultFuture.complete(Collections.singleton(v));
    }

    @Override
    public void timeout(Retrieval r, ResultFuture<VoteInput> resultFuture) {
        Progress p = inFlight.get(r.question.arrivalKey());
        if (p == null) {
            p = new Progress();
        }
        finish(r, p, resultFuture);
    }

    @Override
    public void close() throws Exception {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (generator != null) {
            generator.close();
        }
    }
}
