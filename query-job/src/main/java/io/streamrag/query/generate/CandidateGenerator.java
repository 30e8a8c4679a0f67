package io.streamrag.query.generate;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.streamrag.common.records.Identity;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RetrievedChunk;

import org.apache.flink.configuration.Configuration;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Runs one candidate (the whole strategy) on an endpoint's bulkhead and always completes with a
 * {@link CandidateResult}: OK, ERROR, TIMEOUT or CANCELLED. Routing: the requested endpoint unless its breaker is
 * open or its bulkhead full, else the others in a weighted order; a call its breaker turns away mid-way moves on the
 * same way. When every endpoint is full or open the candidate waits for a slot (bounded by the async operator's
 * capacity, which then backpressures the source) until its deadline. Hedging: a candidate still running after the endpoint's
 * hedge delay gets one spare call (within the question's {@link HedgeBudget}), and a candidate the {@link SparePlanner}
 * picked gets one from its start; the first answer wins and the other call is aborted. Shared by the async operators
 * and the benchmarks.
 */
public class CandidateGenerator implements AutoCloseable {

    /** How often a candidate that found every endpoint full looks for a free slot again. */
    private static final long ADMISSION_RETRY_MS = 20;
    /**
     * How far past its straggler threshold an unneeded call runs on: the threshold moves with the median, and a call
     * cut off just short of it would say nothing.
     */
    private static final double RUN_ON = 1.25;
    /** Characters of a failed candidate's error kept (it is repeated in the answer record). */
    static final int MAX_ERROR_CHARS = 1000;
    /**
     * How long past its question's deadline a candidate may still run before it is cancelled and reported TIMEOUT (see
     * {@link #endAtDeadline}): long enough that a model request bounded by the deadline ends first, on its own, as a
     * timeout its endpoint's breaker hears of.
     */
    static final long DEADLINE_GRACE_MS = 1_000;

    private final Map<String, ChatEndpoint> endpoints = new LinkedHashMap<>();
    private final Map<StrategyName, Strategy> strategies = new EnumMap<>(StrategyName.class);
    private final FollowUpRetriever retriever;
    private final HedgeSettings hedge;
    private final SparePlanner spares;
    private final ScheduledExecutorService timers = timers();

    public CandidateGenerator(List<EndpointSpec> specs, RetryPolicy retry, int maxTokens, CallListener listener,
                              List<Demonstrations.Demonstration> demonstrations, int numDemonstrations,
                              int maxFollowUps, FollowUpRetriever retriever) {
        this(specs, retry, maxTokens, listener, demonstrations, numDemonstrations, maxFollowUps, retriever,
                HealthSettings.from(new Configuration()), HedgeSettings.off());
    }

    public CandidateGenerator(List<EndpointSpec> specs, RetryPolicy retry, int maxTokens, CallListener listener,
                              List<Demonstrations.Demonstration> demonstrations, int numDemonstrations,
                              int maxFollowUps, FollowUpRetriever retriever, HealthSettings health,
                              HedgeSettings hedge) {
        try {
            for (EndpointSpec s : specs) {
                endpoints.put(s.name, new ChatEndpoint(s, retry, maxTokens, listener, health));
            }
        } catch (RuntimeException e) {
            // The endpoints built so far hold their TaskManager-wide pools; nothing else would give them back (the
            // operator never gets its generator), and every restart of a job failing here added one more user.
            endpoints.values().forEach(ChatEndpoint::close);
            timers.shutdownNow();
            throw e;
        }
        strategies.put(StrategyName.RAG, new RagStrategy());
        strategies.put(StrategyName.DRAG, new DragStrategy(demonstrations, numDemonstrations));
        strategies.put(StrategyName.ITERDRAG, new IterDragStrategy(maxFollowUps));
        this.retriever = retriever;
        this.hedge = hedge;
        this.spares = hedge.planner();
    }

    public ChatEndpoint endpoint(String name) {
        return endpoints.get(name);
    }

    public Collection<ChatEndpoint> endpoints() {
        return endpoints.values();
    }

    public HedgeSettings hedgeSettings() {
        return hedge;
    }

    /** One candidate without hedging. */
    public CompletableFuture<CandidateResult> generate(CandidateRequest request) {
        return start(request, null).result;
    }

    /**
     * All candidates of a request with {@code choices > 1}: a single-call strategy on an endpoint that takes
     * OpenAI's {@code n} makes one request for all of them (its usage is reported on the first candidate), on that
     * endpoint's bulkhead; otherwise (or when its breaker is open, its bulkhead full, or its breaker or rate limit turns
     * that request away) each candidate runs on its own,
     * routed like any other, and they are handed over together once all have finished or at the question's
     * {@link QuestionTask#handoverAtMs hand-over time}, whichever comes first (those still running then are cancelled
     * and reported TIMEOUT): waiting for the slowest held the finished ones back until after the vote had answered.
     * Always completes with one result per candidate.
     */
    public CompletableFuture<List<CandidateResult>> generateAll(CandidateRequest request) {
        return startAll(request).results;
    }

    /** {@link #generateAll}, abortable through the returned call once the vote no longer needs its candidates. */
    public ChoicesCall startAll(CandidateRequest request) {
        List<CandidateRequest> members = members(request);
        ChatEndpoint endpoint = endpoints.get(request.endpoint);
        QuestionTask q = request.retrieval.question;
        boolean shared = endpoint != null && request.choices > 1 && endpoint.spec.maxChoices >= request.choices
                && !endpoint.health().open();
        String prompt = !shared ? null : strategyOf(q).singlePrompt(q.text, request.retrieval.chunks);
        CallHandle handle = prompt == null ? null : new CallHandle(endpoint.health(), false);
        ChoicesCall call = new ChoicesCall(request, handle, members.size());
        CompletableFuture<List<CandidateResult>> results = null;
        if (prompt != null) {
            long start = System.currentTimeMillis();
            try {
                // Turned away by its breaker or rate limit (null), the members run one at a time as for a full bulkhead.
                results = endAtDeadline(endpoint.health().submit(() -> runChoicesGuarded(request, members, endpoint,
                        prompt, start, handle)), request, members, endpoint, handle, start)
                        .thenCompose(r -> r != null ? CompletableFuture.completedFuture(r) : oneByOne(call, members, q));
            } catch (BulkheadFullException e) {
                handle.discard();
                endpoint.health().rejected.incrementAndGet(); // one at a time below, waiting for slots as usual
            }
        }
        (results != null ? results : oneByOne(call, members, q)).thenAccept(call.results::complete);
        return call;
    }

    /**
     * Each member on its own, routed like any candidate, handed over together (see {@link #generateAll}); CANCELLED
     * without a call once {@code owner} was cancelled.
     */
    private CompletableFuture<List<CandidateResult>> oneByOne(ChoicesCall owner, List<CandidateRequest> members,
                                                              QuestionTask q) {
        List<CandidateCall> calls = new ArrayList<>();
        for (CandidateRequest m : members) {
            if (owner.isCancelled()) {
                CandidateCall c = new CandidateCall(m);
                c.result.complete(failed(m, endpoints.get(m.endpoint), Status.CANCELLED, "cancelled", 0, 0));
                calls.add(c);
                continue;
            }
            CandidateCall c = start(m, null);
            if (!owner.add(c)) {
                c.cancel(); // cancelled while it started
            }
            calls.add(c);
        }
        CompletableFuture<List<CandidateResult>> all = new CompletableFuture<>();
        Runnable handOver = () -> all.complete(handOver(calls));
        ScheduledFuture<?> timer = timers.schedule(handOver, Math.max(0, q.handoverAtMs() - System.currentTimeMillis()),
                TimeUnit.MILLISECONDS);
        CompletableFuture.allOf(calls.stream().map(c -> c.result).toArray(CompletableFuture[]::new)).thenRun(() -> {
            timer.cancel(false);
            handOver.run(); // all finished: nothing is cancelled
        });
        return all;
    }

    /**
     * One result per call, in order, at a question's hand-over to the vote: a finished call's, and for one still
     * running, which is cancelled, TIMEOUT with {@link #STILL_RUNNING_AT_HANDOVER}.
     */
    public List<CandidateResult> handOver(List<CandidateCall> calls) {
        List<CandidateResult> out = new ArrayList<>();
        for (CandidateCall c : calls) {
            CandidateResult r = c.result.getNow(null);
            if (r == null) {
                c.cancel();
                r = failed(c.request, endpoints.get(c.request.endpoint), Status.TIMEOUT, STILL_RUNNING_AT_HANDOVER, 0, c.startedAtMs);
            }
            out.add(r);
        }
        return out;
    }

    /** The generator's timer thread; a cancelled timer leaves its queue at once instead of waiting there until due. */
    private static ScheduledExecutorService timers() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "candidate-timers");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** The one-sample requests a multi-choice request stands for (seeds as {@code FanOut} gives them). */
    public static List<CandidateRequest> members(CandidateRequest request) {
        List<CandidateRequest> out = new ArrayList<>();
        for (int j = 0; j < Math.max(1, request.choices); j++) {
            CandidateRequest m = new CandidateRequest();
            m.retrieval = request.retrieval;
            m.index = request.index + j * request.indexStep;
            m.endpoint = request.endpoint;
            m.temperature = request.temperature;
            m.seed = request.seed + (long) j * request.indexStep;
            out.add(m);
        }
        return out;
    }

    /**
     * The shared request's results (null if it was turned away), or, if it still runs {@link #DEADLINE_GRACE_MS} past its question's deadline, TIMEOUT
     * for each member and the request aborted (counted against its endpoint). Before, nothing could abort it: a request
     * that hung held its endpoint thread, request slot and the operator's async slot until the operator's timeout.
     */
    private CompletableFuture<List<CandidateResult>> endAtDeadline(CompletableFuture<List<CandidateResult>> shared,
                                                                   CandidateRequest request,
                                                                   List<CandidateRequest> members,
                                                                   ChatEndpoint endpoint, CallHandle handle, long start) {
        CompletableFuture<List<CandidateResult>> out = new CompletableFuture<>();
        Runnable overrun = () -> {
            List<CandidateResult> timedOut = new ArrayList<>();
            for (CandidateRequest m : members) {
                timedOut.add(failed(m, endpoint, Status.TIMEOUT, "still running past the question's deadline", 0, start));
            }
            if (out.complete(timedOut)) {
                handle.cancelOverran();
            }
        };
        ScheduledFuture<?> timer = schedule(overrun, request.retrieval.question.deadlineAtMs() + DEADLINE_GRACE_MS);
        shared.whenComplete((results, error) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            if (error == null) {
                out.complete(results);
            } else {
                List<CandidateResult> failedAll = new ArrayList<>();
                for (CandidateRequest m : members) {
                    failedAll.add(failed(m, endpoint, Status.ERROR, String.valueOf(error), 0, start));
                }
                out.complete(failedAll);
            }
        });
        return out;
    }

    /** Runs {@code task} at {@code atMs} (epoch ms) on the generator's timer; null once the generator has closed. */
    private ScheduledFuture<?> schedule(Runnable task, long atMs) {
        try {
            return timers.schedule(task, Math.max(0, atMs - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closed: its endpoints' clients fail every request now
        }
    }

    private List<CandidateResult> runChoicesGuarded(CandidateRequest request, List<CandidateRequest> members,
                                                    ChatEndpoint endpoint, String prompt, long start, CallHandle handle) {
        if (!handle.begin()) { // cancelled before it started: its results were reported already
            List<CandidateResult> out = new ArrayList<>();
            members.forEach(m -> out.add(failed(m, endpoint, Status.CANCELLED, "cancelled", 0, start)));
            return out;
        }
        try {
            return runChoices(request, members, endpoint, prompt, start, handle);
        } finally {
            handle.end();
        }
    }

    private List<CandidateResult> runChoices(CandidateRequest request, List<CandidateRequest> members,
                                             ChatEndpoint endpoint, String prompt, long start, CallHandle handle) {
        QuestionTask q = request.retrieval.question;
        List<CandidateResult> out = new ArrayList<>();
        try {
            Choices choices = endpoint.callChoices(prompt, request.temperature, request.seed, members.size(),
                    q.deadlineAtMs(), handle);
            for (int j = 0; j < members.size(); j++) {
                Strategy.Outcome outcome = Strategy.Outcome.of(choices.texts.get(j), q.text, request.retrieval.chunks);
                CandidateResult r = base(members.get(j), endpoint);
                r.status = Status.OK.name();
                r.answer = outcome.answer;
                r.cited.addAll(outcome.cited);
                if (j == 0) {
                    r.tokensIn = choices.tokensIn;
                    r.tokensOut = choices.tokensOut;
                    r.attempts = choices.attempts;
                }
                out.add(r);
            }
        } catch (CallFailedException e) {
            if (e.kind == CallFailedException.Kind.REJECTED) {
                // Its breaker (half-open, probes taken) or rate limit turned it away: no failure of its candidates,
                // which go one at a time instead, re-routed or waiting for a slot as single calls do.
                return null;
            }
            // Aborted (the vote no longer needs it): CANCELLED, as a single call's abort, not a failure of the endpoint.
            Status status = e.kind == CallFailedException.Kind.CANCELLED ? Status.CANCELLED
                    : e.timeout ? Status.TIMEOUT : Status.ERROR;
            for (int j = 0; j < members.size(); j++) {
                out.add(failed(members.get(j), endpoint, status, e.getMessage(), j == 0 ? e.attempts : 0, start));
            }
        } catch (RuntimeException e) {
            boolean aborted = handle.cancelled();
            for (CandidateRequest m : members) {
                out.add(failed(m, endpoint, aborted ? Status.CANCELLED : Status.ERROR,
                        aborted ? "cancelled" : e.toString(), 0, start));
            }
        }
        long latency = System.currentTimeMillis() - start;
        out.forEach(r -> r.latencyMs = latency);
        return out;
    }

    private Strategy strategyOf(QuestionTask q) {
        StrategyName name = q.strategy == null ? null : StrategyName.parse(q.strategy);
        return strategies.get(name == null ? StrategyName.RAG : name);
    }

    /**
     * How many of the next question's {@code n} candidates get an up-front spare: planned from the mean straggler
     * share of the endpoints (the candidates go round-robin over them) and the vote's quorum over their weights.
     */
    public int planSpares(int n) {
        double sum = 0;
        int known = 0;
        double minWeight = Double.MAX_VALUE;
        double maxWeight = 0;
        for (ChatEndpoint e : endpoints.values()) {
            double p = hedge.stragglerShare(e.health());
            if (p >= 0) {
                sum += p;
                known++;
            }
            minWeight = Math.min(minWeight, e.spec.weight);
            maxWeight = Math.max(maxWeight, e.spec.weight);
        }
        return spares.plan(n, SparePlanner.quorum(n, minWeight, maxWeight), known == 0 ? 0 : sum / known);
    }

    /**
     * Lets go of a running candidate its vote no longer needs: aborted now ({@code onAbort} runs if it was still
     * running), or, while spares are on, once it has run a little past its endpoint's straggler threshold. The slow calls are
     * the ones a decided vote aborts, before they could show they are slow; running on that long keeps the straggler
     * share the spares are planned from knowable, at no extra call (no spare or hedge is started for it meanwhile).
     */
    public void release(CandidateCall call, Runnable onAbort) {
        ChatEndpoint ep = endpoints.get(call.request.endpoint);
        long threshold = ep == null || !spares.active() ? -1 : hedge.stragglerThreshold(ep.health());
        long wait = threshold < 0 ? 0 : call.startedAtMs + Math.round(RUN_ON * threshold) - System.currentTimeMillis();
        boolean running;
        synchronized (call) {
            running = call.running > 0;
        }
        if (wait > 0 && running) {
            call.markUnneeded();
            // Counted once, whether aborted at the end of its run-on or ended CANCELLED before it (no retry).
            AtomicBoolean counted = new AtomicBoolean();
            Runnable once = () -> {
                if (counted.compareAndSet(false, true)) {
                    onAbort.run();
                }
            };
            timers.schedule(() -> abort(call, once), wait, TimeUnit.MILLISECONDS);
            call.result.thenAccept(r -> {
                if (r.is(Status.CANCELLED)) {
                    once.run();
                }
            });
        } else {
            abort(call, onAbort);
        }
    }

    private static void abort(CandidateCall call, Runnable onAbort) {
        if (!call.result.isDone()) {
            call.cancel();
            onAbort.run();
        }
    }

    /** Hands back {@code count} planned spares that were not started. */
    public void unusedSpares(int count) {
        for (int i = 0; i < count; i++) {
            spares.unused();
        }
    }

    /** Starts one candidate; {@code budget} (may be null: no hedging) is shared by the candidates of a question. */
    public CandidateCall start(CandidateRequest request, HedgeBudget budget) {
        return start(request, budget, false);
    }

    /**
     * Starts one candidate, with an up-front spare call if {@code spare} (one {@link #planSpares} granted; handed back
     * if it cannot start, e.g. no free slot).
     */
    public CandidateCall start(CandidateRequest request, HedgeBudget budget, boolean spare) {
        CandidateCall call = new CandidateCall(request);
        call.startedAtMs = System.currentTimeMillis();
        ChatEndpoint requested = endpoints.get(request.endpoint);
        if (requested == null) {
            call.result.complete(failed(request, null, Status.ERROR, "unknown endpoint " + request.endpoint, 0, 0));
            return call;
        }
        long start = call.startedAtMs;
        endAtDeadline(call, start);
        admit(call, new HashSet<>(), start);
        if (spare) {
            if (startSpare(call, start, false)) {
                endpoints.get(request.endpoint).health().spared.incrementAndGet();
            } else {
                spares.unused();
            }
        }
        if (budget != null && hedge.enabled()) {
            long delay = hedgeDelay(requested);
            if (delay >= 0) {
                timers.schedule(() -> hedge(call, budget, start), delay, TimeUnit.MILLISECONDS);
            }
        }
        return call;
    }

    /**
     * The requested endpoint's hedge delay; while it has no latency record of its own (e.g. every call hangs), the
     * fastest other endpoint's; while no endpoint has one (start-up), a quarter of its timeout, at most 1 s.
     * -1 = no hedge.
     */
    private long hedgeDelay(ChatEndpoint requested) {
        long own = hedge.delayFor(requested.health());
        if (own >= 0) {
            return own;
        }
        long best = -1;
        for (ChatEndpoint e : endpoints.values()) {
            long d = hedge.delayFor(e.health());
            if (d >= 0 && (best < 0 || d < best)) {
                best = d;
            }
        }
        return best >= 0 || !hedge.enabled() ? best : Math.min(1_000, requested.spec.timeoutMs / 4);
    }

    /** Endpoints to try, best first: the requested one, then the others in a weighted order; open breakers last. */
    List<ChatEndpoint> route(CandidateRequest request, Set<String> exclude) {
        Random random = new Random(request.seed);
        Map<ChatEndpoint, Double> key = new LinkedHashMap<>();
        for (ChatEndpoint e : endpoints.values()) {
            if (exclude.contains(e.spec.name)) {
                continue;
            }
            // Weighted random order (Efraimidis-Spirakis): smaller key first; the requested endpoint leads.
            double k = e.spec.name.equals(request.endpoint) ? -1 : -Math.log(1 - random.nextDouble()) / e.spec.weight;
            key.put(e, (e.health().open() ? 1e9 : 0) + k);
        }
        List<ChatEndpoint> order = new ArrayList<>(key.keySet());
        order.sort(Comparator.comparingDouble(key::get));
        return order;
    }

    /**
     * Ends the candidate as TIMEOUT if it still runs {@link #DEADLINE_GRACE_MS} past its question's deadline, aborting
     * its calls (those still in a model request are counted against their endpoints, as timeouts are). Every model
     * request is bounded by the deadline on its own (its HTTP timeout, body included, is min(endpoint timeout, time
     * left)); this ends what is not, e.g. a follow-up retrieval that hangs. Before, such a candidate held its endpoint
     * thread, request slot and the operator's async slot until the operator's own timeout, an hour later.
     */
    private void endAtDeadline(CandidateCall call, long start) {
        ScheduledFuture<?> timer = schedule(() -> {
            CandidateResult r = failed(call.request, endpoints.get(call.request.endpoint), Status.TIMEOUT,
                    "still running past the question's deadline", 0, start);
            // Completed first: the calls aborted below then report into a finished candidate, not as its CANCELLED.
            if (call.claimResult(r)) {
                call.result.complete(r);
                call.cancelOverran();
            }
        }, call.request.retrieval.question.deadlineAtMs() + DEADLINE_GRACE_MS);
        if (timer != null) {
            call.result.whenComplete((r, e) -> timer.cancel(false)); // out of the timer's queue at once
        }
    }

    /**
     * Submits the candidate to the first endpoint with room and a closed breaker, avoiding {@code exclude} when another
     * endpoint is there; else waits for one (re-checked, every endpoint again).
     */
    private void admit(CandidateCall call, Set<String> exclude, long start) {
        if (!launch(call, routeAvoiding(call.request, exclude), start, false, false)) {
            long deadline = call.request.retrieval.question.deadlineAtMs();
            if (call.unneeded()) { // cancelled, or no longer needed by the vote: no wait for a slot
                finish(call, failed(call.request, null, Status.CANCELLED, "cancelled", 0, start));
            } else if (System.currentTimeMillis() + ADMISSION_RETRY_MS >= deadline) {
                finish(call, failed(call.request, endpoints.get(call.request.endpoint), Status.TIMEOUT,
                        "deadline passed waiting for a free endpoint slot", 0, start));
            } else {
                timers.schedule(() -> admit(call, Set.of(), start), ADMISSION_RETRY_MS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * {@link #route} without {@code exclude}; all endpoints when that leaves none, or only ones whose breaker is open.
     */
    private List<ChatEndpoint> routeAvoiding(CandidateRequest request, Set<String> exclude) {
        List<ChatEndpoint> order = route(request, exclude);
        return order.isEmpty() || order.get(0).health().open() ? route(request, Set.of()) : order;
    }

    /** Starts a call on the first endpoint of {@code order} whose bulkhead accepts it; false if none did. */
    private boolean launch(CandidateCall call, List<ChatEndpoint> order, long start, boolean spare, boolean late) {
        for (ChatEndpoint ep : order) {
            if (ep.health().open()) {
                continue; // it would only be turned away; if every breaker is open the candidate waits (admit)
            }
            CallHandle handle = new CallHandle(ep.health(), late);
            if (!call.add(handle, spare)) {
                return false;
            }
            try {
                ep.health().submit(() -> runGuarded(handle, call.request, ep, start))
                        .whenComplete((a, error) -> onAttempt(call, handle, ep, a != null ? a
                                : new Attempt(failed(call.request, ep, Status.ERROR, String.valueOf(error), 0, start),
                                        CallFailedException.Kind.FAILED), start));
                return true;
            } catch (BulkheadFullException e) {
                CandidateCall.NoRoom next = call.notStarted(spare);
                handle.discard();
                ep.health().rejected.incrementAndGet();
                // Decided under the lock that took the count to 0: its twin ended meanwhile and left the candidate to
                // this spare (nothing else would end it until its deadline + 1 s).
                switch (next) {
                    case END_FAILED -> finish(call, call.firstFailure());
                    case END_CANCELLED -> finish(call, failed(call.request, ep, Status.CANCELLED, "cancelled", 0, start));
                    case READMIT -> {
                        // The twin was turned away (no failure): admitted again, elsewhere first, as it alone would have been.
                        Set<String> exclude = new HashSet<>(Set.of(ep.spec.name));
                        if (call.turnedAwayBy() != null) {
                            exclude.add(call.turnedAwayBy());
                        }
                        timers.schedule(() -> admit(call, exclude, start), ADMISSION_RETRY_MS, TimeUnit.MILLISECONDS);
                    }
                    case CARRY_ON -> {
                        continue; // a primary tries the next endpoint (or waits for a slot); a spare's twin still runs
                    }
                }
                return false;
            }
        }
        return false;
    }

    private void hedge(CandidateCall call, HedgeBudget budget, long start) {
        synchronized (call) {
            if (call.result.isDone() || call.unneeded() || call.running == 0) {
                return; // answered, not needed, or still waiting for a slot (a hedge would not help)
            }
        }
        if (System.currentTimeMillis() >= call.request.retrieval.question.deadlineAtMs() || !budget.tryTake()) {
            return;
        }
        if (startSpare(call, start, true)) {
            spares.hedged();
        }
    }

    /**
     * A second call for the candidate, on another endpoint if one is healthy, else on the same one; counted as a
     * hedge (in the candidate's {@code hedges} and the endpoint's {@code hedged}). False if it could not start.
     */
    private boolean startSpare(CandidateCall call, long start, boolean late) {
        synchronized (call) {
            if (call.result.isDone() || call.unneeded() || call.running == 0) {
                return false; // answered, not needed, or still waiting for a slot (a spare would not help)
            }
        }
        if (!launch(call, routeAvoiding(call.request, Set.of(call.request.endpoint)), start, true, late)) {
            return false; // no room, or the candidate ended meanwhile
        }
        endpoints.get(call.request.endpoint).health().hedged.incrementAndGet();
        return true;
    }

    private void onAttempt(CandidateCall call, CallHandle handle, ChatEndpoint ep, Attempt a, long start) {
        CandidateResult r = a.result;
        int running;
        synchronized (call) {
            running = --call.running;
            // Spent whichever attempt wins: kept for the candidate's result (this one, if it becomes that result, gets
            // them back when it is claimed), or, once that was claimed, counted apart (a losing spare or hedge, or an
            // aborted call chain, whose tokens were dropped).
            if (!call.carryTokens(r)) {
                ep.tokensSpent(r.tokensIn, r.tokensOut);
            }
            r.tokensIn = 0;
            r.tokensOut = 0;
            if (call.result.isDone() || call.succeeded) {
                return;
            }
            // Claimed with the count: the calls aborted below report back on their own threads, possibly before
            // this one completes the result, and must not end the candidate as CANCELLED (or with their error).
            call.succeeded = r.ok();
            // A failure is recorded with the count too: a spare that found no room (notStarted) reads both under this
            // lock, and the one of the two that leaves no call running decides how the candidate goes on. Recorded
            // later, between the two, neither ended it, until the deadline. A turn-away is never a failure: whoever
            // leaves no call running re-admits the candidate (below, or launch for a spare).
            if (!r.ok() && a.kind != CallFailedException.Kind.REJECTED) {
                recordFailure(call, r);
            }
            if (a.kind == CallFailedException.Kind.REJECTED) {
                call.turnedAwayBy = ep.spec.name;
            }
        }
        if (r.ok()) {
            r.cancelledCalls = call.cancelOthers(handle);
            finish(call, r);
            return;
        }
        if (a.kind == CallFailedException.Kind.REJECTED && running == 0) {
            if (call.unneeded()) { // turned away after the vote was decided (or the candidate was cancelled)
                finish(call, failed(call.request, ep, Status.CANCELLED, "cancelled", 0, start));
                return;
            }
            if (System.currentTimeMillis() + ADMISSION_RETRY_MS < call.request.retrieval.question.deadlineAtMs()) {
                // Its breaker (half-open, probes taken) or rate limit turned it away: never a failure. Another endpoint
                // next, if there is one: routed as before, it went back to the same endpoint every 20 ms (half-open
                // or rate-limited is not open) while the others sat idle.
                timers.schedule(() -> admit(call, Set.of(ep.spec.name), start), ADMISSION_RETRY_MS,
                        TimeUnit.MILLISECONDS);
                return;
            }
            synchronized (call) {
                recordFailure(call, r); // no time left to try elsewhere
            }
        }
        if (running == 0) {
            finish(call, call.firstFailure);
        }
    }

    /** Keeps the candidate's first real failure (a CANCELLED one gives way); under the call's lock. */
    private static void recordFailure(CandidateCall call, CandidateResult r) {
        if (call.firstFailure == null || call.firstFailure.is(Status.CANCELLED)) {
            call.firstFailure = r;
        }
    }

    private void finish(CandidateCall call, CandidateResult r) {
        if (call.claimResult(r)) {
            call.result.complete(r);
        }
    }

    /** The outcome of one call chain on one endpoint. */
    private static final class Attempt {
        final CandidateResult result;
        final CallFailedException.Kind kind;

        Attempt(CandidateResult result, CallFailedException.Kind kind) {
            this.result = result;
            this.kind = kind;
        }
    }

    private Attempt runGuarded(CallHandle handle, CandidateRequest request, ChatEndpoint endpoint, long start) {
        if (!handle.begin()) {
            return new Attempt(failed(request, endpoint, Status.CANCELLED, "cancelled", 0, start),
                    CallFailedException.Kind.CANCELLED);
        }
        try {
            return run(request, endpoint, start, handle);
        } finally {
            handle.end();
        }
    }

    private Attempt run(CandidateRequest request, ChatEndpoint endpoint, long start, CallHandle handle) {
        QuestionTask q = request.retrieval.question;
        long deadline = q.deadlineAtMs();
        Strategy strategy = strategyOf(q);
        long[] usage = new long[3]; // tokensIn, tokensOut, attempts
        Strategy.Session session = new Strategy.Session() {
            @Override
            public CallResult call(String prompt) {
                try {
                    CallResult r = endpoint.call(prompt, request.temperature, request.seed, deadline, handle);
                    usage[0] += r.tokensIn();
                    usage[1] += r.tokensOut();
                    usage[2] += r.attempts();
                    return r;
                } catch (CallFailedException e) {
                    usage[2] += e.attempts;
                    throw e;
                }
            }

            @Override
            public List<RetrievedChunk> retrieve(String tenant, String question) {
                return followUp(tenant, question, q.k, deadline, handle);
            }
        };
        CandidateResult r;
        CallFailedException.Kind kind = CallFailedException.Kind.FAILED;
        try {
            Strategy.Outcome outcome = strategy.run(q.text, q.tenant, request.retrieval.chunks, session);
            r = base(request, endpoint);
            r.status = Status.OK.name();
            r.answer = outcome.answer;
            r.cited.addAll(outcome.cited);
        } catch (CallFailedException e) {
            kind = e.kind;
            Status status = e.kind == CallFailedException.Kind.CANCELLED ? Status.CANCELLED
                    : e.timeout ? Status.TIMEOUT : Status.ERROR;
            r = failed(request, endpoint, status, e.getMessage(), 0, start);
        } catch (RuntimeException e) {
            // Aborted outside a model call (e.g. in ITERDRAG's follow-up retrieval, whose client wraps the interrupt).
            boolean aborted = handle.cancelled();
            kind = aborted ? CallFailedException.Kind.CANCELLED : kind;
            r = failed(request, endpoint, aborted ? Status.CANCELLED : Status.ERROR, aborted ? "cancelled" : e.toString(),
                    0, start);
        }
        r.tokensIn = usage[0];
        r.tokensOut = usage[1];
        r.attempts = (int) usage[2];
        r.latencyMs = System.currentTimeMillis() - start;
        return new Attempt(r, kind);
    }

    /**
     * ITERDRAG's follow-up retrieval, on the calling (endpoint) thread, given up as a timeout after min(the retriever's
     * timeout, time left): interrupted, as an aborted call is (its client wraps the interrupt). Before, only the
     * OpenSearch client's own timeout bounded it, and a hanging search held the candidate until its deadline + 1 s.
     */
    private List<RetrievedChunk> followUp(String tenant, String question, int k, long deadlineAtMs, CallHandle handle) {
        long bound = Math.min(retriever.timeoutMs(), deadlineAtMs - System.currentTimeMillis());
        if (bound <= 0) {
            throw new CallFailedException("timeout: deadline passed before the follow-up retrieval", true, 0, null);
        }
        Thread runner = Thread.currentThread();
        boolean[] state = new boolean[2]; // {finished, timed out}, under its own lock
        ScheduledFuture<?> timer = schedule(() -> {
            synchronized (state) {
                if (!state[0]) {
                    state[1] = true;
                    runner.interrupt();
                }
            }
        }, System.currentTimeMillis() + bound);
        try {
            return retriever.retrieve(tenant, question, k);
        } catch (RuntimeException e) {
            synchronized (state) {
                // An abort (the vote was decided) interrupts too: that call ends CANCELLED, not as a timeout.
                if (state[1] && !handle.cancelled()) {
                    throw new CallFailedException("timeout: follow-up retrieval took over " + bound + " ms", true, 0, e);
                }
            }
            throw e;
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
            synchronized (state) {
                state[0] = true;
                if (state[1]) {
                    Thread.interrupted(); // ours, not an abort: the next model call must not see it
                    if (handle.cancelled()) {
                        runner.interrupt(); // an abort that came meanwhile is still seen
                    }
                }
            }
        }
    }

    private static CandidateResult base(CandidateRequest request, ChatEndpoint endpoint) {
        CandidateResult r = new CandidateResult();
        r.questionId = request.retrieval.question.questionId;
        r.index = request.index;
        r.endpoint = endpoint != null ? endpoint.spec.name : request.endpoint;
        if (endpoint != null) {
            r.model = endpoint.spec.model;
            r.weight = endpoint.spec.weight;
        }
        return r;
    }

    /** A failed candidate record (also used by operator timeouts). */
    /** The error of a candidate still running when its question was handed over to the vote (reported TIMEOUT). */
    public static final String STILL_RUNNING_AT_HANDOVER = "still running at the hand-over to the vote";

    public static CandidateResult failed(CandidateRequest request, ChatEndpoint endpoint, Status status, String error,
                                         int attempts, long start) {
        CandidateResult r = base(request, endpoint);
        r.status = status.name();
        r.error = Identity.clip(error, MAX_ERROR_CHARS); // an exception's text may hold a whole response body
        r.attempts = attempts;
        r.latencyMs = start > 0 ? System.currentTimeMillis() - start : 0;
        return r;
    }

    @Override
    public void close() {
        timers.shutdownNow();
        endpoints.values().forEach(ChatEndpoint::close);
        if (retriever != null) {
            retriever.close();
        }
    }
}
