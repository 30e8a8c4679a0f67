package io.streamrag.query.functions;

import io.streamrag.query.generate.CandidateCall;
import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.generate.ChoicesCall;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.generate.Generators;
import io.streamrag.query.generate.HedgeBudget;
import io.streamrag.query.metrics.GenerationMetrics;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.records.VoteInputs;
import io.streamrag.query.vote.AnswerKeys;
import io.streamrag.query.vote.VoteTally;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Generates one candidate (the whole strategy) on its endpoint's bulkhead; failures and timeouts come out as
 * ERROR/TIMEOUT candidates so the vote always hears about every sample. Candidates arrive keyed by question (tenant
 * and questionId), so this subtask sees all of a question's candidates: once their tally is settled by the vote's
 * own rule, the calls still running are aborted (their HTTP requests closed) instead of holding endpoint slots. The
 * first candidates of a question get the up-front spare calls the generator plans for it (none while the endpoints
 * are healthy).
 */
public class AsyncGenerate extends RichAsyncFunction<CandidateRequest, VoteInput> {
    private static final long serialVersionUID = 1L;

    private final GenerateSettings settings;
    private final List<EndpointSpec> specs;
    private final double maxWeight;
    private transient CandidateGenerator generator;
    private transient GenerationMetrics metrics;
    private transient Map<String, Question> questions;
    /** Each finished candidate's answer normalised once, not at every later candidate's early-stop tally. */
    private transient AnswerKeys answerKeys;
    /** Candidates invoked so far (task thread only): every {@value #SWEEP_EVERY}th sweeps {@link #questions}. */
    private transient long invocations;
    private static final int SWEEP_EVERY = 1024;
    private static final long SWEEP_AFTER_DEADLINE_MS = 60_000;

    /** The candidates of one question running on this subtask. */
    static final class Question {
        final int n;
        final long deadlineAtMs;
        final HedgeBudget budget;
        /** Up-front spares still to hand out to this question's next candidates. */
        int spares;
        final List<CandidateCall> calls = new ArrayList<>();
        /** Its multi-choice requests (OpenAI's n), aborted with {@link #calls}. */
        final List<ChoicesCall> choiceCalls = new ArrayList<>();
        final List<CandidateResult> results = new ArrayList<>();
        /** Candidate indexes in {@link #results}: an exact copy's (same arrival) are counted once, as in the vote. */
        final java.util.Set<Integer> indexes = new java.util.HashSet<>();
        boolean settled;

        Question(int n, long deadlineAtMs, HedgeBudget budget, int spares) {
            this.n = n;
            this.deadlineAtMs = deadlineAtMs;
            this.budget = budget;
            this.spares = spares;
        }
    }

    public AsyncGenerate(GenerateSettings settings, List<EndpointSpec> endpoints) {
        this.settings = settings;
        this.specs = endpoints;
        this.maxWeight = EndpointSpec.maxWeight(endpoints);
    }

    @Override
    public void open(OpenContext context) {
        metrics = new GenerationMetrics(getRuntimeContext().getMetricGroup());
        generator = Generators.create(settings, specs, metrics);
        metrics.register(generator.endpoints());
        questions = new ConcurrentHashMap<>();
        answerKeys = new AnswerKeys(AnswerKeys.DEFAULT_MAX_CHARS);
        metrics.questionsInFlight(questions::size);
    }

    @Override
    public void asyncInvoke(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        if (request.choices > 1) {
            invokeChoices(request, resultFuture);
            return;
        }
        String id = request.retrieval.question.arrivalKey();
        Question q = question(request);
        CandidateCall call;
        synchronized (q) {
            if (q.settled) {
                // The vote no longer needs it: no call at all.
                CandidateResult r = CandidateGenerator.failed(request, generator.endpoint(request.endpoint),
                        Status.CANCELLED, "vote already decided", 0, 0);
                metrics.get(GenerationMetrics.CANDIDATES_CANCELLED).inc();
                emit(request, r, resultFuture);
                done(id, q, r);
                return;
            }
            metrics.issued(request.endpoint);
            boolean spare = q.spares > 0;
            if (spare) {
                q.spares--;
            }
            call = generator.start(request, q.budget, spare);
            q.calls.add(call);
        }
        call.result.thenAccept(r -> {
            if (call.claimReport()) { // not already reported by the operator's timeout
                metrics.completed(r);
                // The result first: the vote decides on it before done() aborts the calls it no longer needs (whose
                // CANCELLED results would otherwise reach the vote first and join the answer).
                emit(request, r, resultFuture);
                done(id, q, r);
            }
        });
    }

    /**
     * Several candidates in one request (OpenAI's n): one vote input with all of them. They count among the question's
     * n here too, or a question with such requests beside single ones never had all of its n and stayed in the map.
     */
    private void invokeChoices(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        String id = request.retrieval.question.arrivalKey();
        Question q = question(request);
        ChoicesCall call;
        synchronized (q) {
            if (q.settled) {
                // The vote no longer needs them: no request at all (it was sent anyway, and its answers dropped).
                List<CandidateResult> cancelled = new ArrayList<>();
                for (CandidateRequest m : CandidateGenerator.members(request)) {
                    cancelled.add(CandidateGenerator.failed(m, generator.endpoint(m.endpoint), Status.CANCELLED,
                            "vote already decided", 0, 0));
                }
                metrics.get(GenerationMetrics.CANDIDATES_CANCELLED).inc(cancelled.size());
                resultFuture.complete(Collections.singleton(
                        VoteInputs.candidates(request.retrieval.question, maxWeight, cancelled)));
                cancelled.forEach(r -> done(id, q, r));
                return;
            }
            for (int j = 0; j < request.choices; j++) {
                metrics.issued(request.endpoint);
            }
            call = generator.startAll(request);
            q.choiceCalls.add(call); // so a decided vote aborts it, as it does single calls
        }
        call.results.thenAccept(results -> {
            if (call.claimReport()) { // not already reported by the operator's timeout
                results.forEach(metrics::completed);
                resultFuture.complete(Collections.singleton(
                        VoteInputs.candidates(request.retrieval.question, maxWeight, results)));
                results.forEach(r -> done(id, q, r));
            }
        });
    }

    /**
     * The question's entry, made by its first candidate here. Now and then, entries whose deadline is a minute past are
     * dropped: a question whose candidates straddle a restore never sees all of its n here.
     */
    private Question question(CandidateRequest request) {
        long now = System.currentTimeMillis();
        if (++invocations % SWEEP_EVERY == 0) {
            questions.values().removeIf(q -> now > q.deadlineAtMs + SWEEP_AFTER_DEADLINE_MS);
        }
        QuestionTask task = request.retrieval.question;
        int n = task.n;
        return questions.computeIfAbsent(task.arrivalKey(), k -> new Question(n, task.deadlineAtMs(),
                generator.hedgeSettings().budget(n), generator.planSpares(n)));
    }

    /** Whether this subtask has seen the vote of the question with {@code arrivalKey} decided (for tests). */
    boolean settled(String arrivalKey) {
        Question q = questions.get(arrivalKey);
        if (q == null) {
            return false;
        }
        synchronized (q) {
            return q.settled;
        }
    }

    private void emit(CandidateRequest request, CandidateResult r, ResultFuture<VoteInput> resultFuture) {
        resultFuture.complete(Collections.singleton(
                VoteInputs.candidates(request.retrieval.question, maxWeight, List.of(r))));
    }

    /** Records a finished candidate; aborts the others once the tally is settled. */
    private void done(String id, Question q, CandidateResult r) {
        List<CandidateCall> abort = List.of();
        List<ChoicesCall> abortChoices = List.of();
        synchronized (q) {
            if (!q.indexes.add(r.index)) {
                // The same candidate of an exact copy (a producer's retry): counted twice, it settled the tally on
                // duplicates and cancelled calls the vote, which keeps the first of each index, still needed.
                return;
            }
            q.results.add(r);
            int outstanding = q.n - q.results.size();
            if (!q.settled && outstanding > 0 && VoteTally.of(q.results, answerKeys).settled(outstanding, maxWeight)) {
                q.settled = true;
                abort = new ArrayList<>(q.calls);
                abortChoices = new ArrayList<>(q.choiceCalls);
                generator.unusedSpares(q.spares); // its later candidates make no call at all
                q.spares = 0;
            }
            if (outstanding <= 0) {
                questions.remove(id, q);
            }
        }
        for (CandidateCall c : abort) {
            generator.release(c, metrics.get(GenerationMetrics.CANDIDATES_CANCELLED)::inc);
        }
        for (ChoicesCall c : abortChoices) {
            metrics.get(GenerationMetrics.CANDIDATES_CANCELLED).inc(c.cancel());
        }
    }

    @Override
    public void timeout(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        if (request.choices > 1) {
            timeoutChoices(request, resultFuture);
            return;
        }
        String id = request.retrieval.question.arrivalKey();
        Question q = questions.get(id);
        CandidateCall call = null;
        if (q != null) {
            synchronized (q) {
                call = q.calls.stream().filter(c -> c.request == request).findFirst().orElse(null);
            }
        }
        if (call != null && !call.claimReport()) {
            return; // its result came first and was reported
        }
        CandidateResult r = CandidateGenerator.failed(request, generator.endpoint(request.endpoint),
                Status.TIMEOUT, "operator timeout", 0, 0);
        metrics.completed(r);
        resultFuture.complete(Collections.singleton(
                VoteInputs.candidates(request.retrieval.question, maxWeight, List.of(r))));
        if (call != null) {
            call.cancel(); // no request runs on for a candidate that is already out
        }
        if (q != null) {
            done(id, q, r); // so the question's bookkeeping is released
        }
    }

    /** {@link #timeout} of a multi-choice request: each of its candidates TIMEOUT, unless its results came first. */
    private void timeoutChoices(CandidateRequest request, ResultFuture<VoteInput> resultFuture) {
        String id = request.retrieval.question.arrivalKey();
        Question q = questions.get(id);
        ChoicesCall call = null;
        if (q != null) {
            synchronized (q) {
                call = q.choiceCalls.stream().filter(c -> c.request == request).findFirst().orElse(null);
            }
        }
        if (call != null && !call.claimReport()) {
            return; // its results came first and were reported
        }
        List<CandidateResult> timedOut = new ArrayList<>();
        for (CandidateRequest m : CandidateGenerator.members(request)) {
            timedOut.add(CandidateGenerator.failed(m, generator.endpoint(m.endpoint), Status.TIMEOUT,
                    "operator timeout", 0, 0));
        }
        timedOut.forEach(metrics::completed);
        resultFuture.complete(Collections.singleton(
                VoteInputs.candidates(request.retrieval.question, maxWeight, timedOut)));
        if (call != null) {
            call.cancel(); // no request runs on for candidates that are already out
        }
        if (q != null) {
            timedOut.forEach(r -> done(id, q, r)); // its results, now never reported, no longer release the question
        }
    }

    @Override
    public void close() throws Exception {
        if (generator != null) {
            generator.close();
        }
    }
}
