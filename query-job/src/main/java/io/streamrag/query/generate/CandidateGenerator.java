package io.streamrag.query.generate;

import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RetrievedChunk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Collectors;

/**
 * Runs one candidate (the whole strategy) on its endpoint's bounded pool and always completes with a
 * {@link CandidateResult}: OK, ERROR or TIMEOUT. Shared by the async operators and the benchmarks.
 */
public class CandidateGenerator implements AutoCloseable {

    private final Map<String, ChatEndpoint> endpoints = new LinkedHashMap<>();
    private final Map<String, Strategy> strategies = new LinkedHashMap<>();
    private final FollowUpRetriever retriever;

    public CandidateGenerator(List<EndpointSpec> specs, RetryPolicy retry, int maxTokens, CallListener listener,
                              List<Demonstrations.Demonstration> demonstrations, int numDemonstrations,
                              int maxFollowUps, FollowUpRetriever retriever) {
        for (EndpointSpec s : specs) {
            endpoints.put(s.name, new ChatEndpoint(s, retry, maxTokens, listener));
        }
        strategies.put("RAG", new RagStrategy());
        strategies.put("DRAG", new DragStrategy(demonstrations, numDemonstrations));
        strategies.put("ITERDRAG", new IterDragStrategy(maxFollowUps));
        this.retriever = retriever;
    }

    public ChatEndpoint endpoint(String name) {
        return endpoints.get(name);
    }

    public CompletableFuture<CandidateResult> generate(CandidateRequest request) {
        ChatEndpoint endpoint = endpoints.get(request.endpoint);
        if (endpoint == null) {
            return CompletableFuture.completedFuture(
                    failed(request, null, CandidateResult.ERROR, "unknown endpoint " + request.endpoint, 0, 0));
        }
        long start = System.currentTimeMillis();
        try {
            return CompletableFuture.supplyAsync(() -> run(request, endpoint, start), endpoint.pool());
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(
                    failed(request, endpoint, CandidateResult.ERROR, "endpoint closed", 0, start));
        }
    }

    /**
     * All candidates of a request with {@code choices > 1}: a single-call strategy on an endpoint that takes
     * OpenAI's {@code n} makes one request for all of them (its usage is reported on the first candidate);
     * otherwise each candidate runs on its own. Always completes with one result per candidate.
     */
    public CompletableFuture<List<CandidateResult>> generateAll(CandidateRequest request) {
        List<CandidateRequest> members = members(request);
        ChatEndpoint endpoint = endpoints.get(request.endpoint);
        QuestionTask q = request.retrieval.question;
        boolean shared = endpoint != null && request.choices > 1 && endpoint.spec.maxChoices >= request.choices;
        String prompt = !shared ? null
                : strategyOf(q).singlePrompt(q.text, request.retrieval.chunks);
        if (prompt == null) {
            List<CompletableFuture<CandidateResult>> futures = new ArrayList<>();
            members.forEach(m -> futures.add(generate(m)));
            return CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]))
                    .thenApply(ignored -> futures.stream().map(CompletableFuture::join).collect(Collectors.toList()));
        }
        long start = System.currentTimeMillis();
        try {
            return CompletableFuture.supplyAsync(() -> runChoices(request, members, endpoint, prompt, start),
                    endpoint.pool());
        } catch (RejectedExecutionException e) {
            List<CandidateResult> failed = new ArrayList<>();
            members.forEach(m -> failed.add(failed(m, endpoint, CandidateResult.ERROR, "endpoint closed", 0, start)));
            return CompletableFuture.completedFuture(failed);
        }
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

    private List<CandidateResult> runChoices(CandidateRequest request, List<CandidateRequest> members,
                                             ChatEndpoint endpoint, String prompt, long start) {
        QuestionTask q = request.retrieval.question;
        List<CandidateResult> out = new ArrayList<>();
        try {
            Choices choices = endpoint.callChoices(prompt, request.temperature, request.seed, members.size(),
                    q.deadlineAtMs());
            for (int j = 0; j < members.size(); j++) {
                Strategy.Outcome outcome = Strategy.Outcome.of(choices.texts.get(j), request.retrieval.chunks);
                CandidateResult r = base(members.get(j), endpoint);
                r.status = CandidateResult.OK;
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
            for (int j = 0; j < members.size(); j++) {
                out.add(failed(members.get(j), endpoint, e.timeout ? CandidateResult.TIMEOUT : CandidateResult.ERROR,
                        e.getMessage(), j == 0 ? e.attempts : 0, start));
            }
        } catch (RuntimeException e) {
            for (CandidateRequest m : members) {
                out.add(failed(m, endpoint, CandidateResult.ERROR, e.toString(), 0, start));
            }
        }
        long latency = System.currentTimeMillis() - start;
        out.forEach(r -> r.latencyMs = latency);
        return out;
    }

    private Strategy strategyOf(QuestionTask q) {
        return strategies.getOrDefault(q.strategy.toUpperCase(Locale.ROOT), strategies.get("RAG"));
    }

    private CandidateResult run(CandidateRequest request, ChatEndpoint endpoint, long start) {
        QuestionTask q = request.retrieval.question;
        long deadline = q.deadlineAtMs();
        Strategy strategy = strategyOf(q);
        long[] usage = new long[3]; // tokensIn, tokensOut, attempts
        Strategy.Session session = new Strategy.Session() {
            @Override
            public CallResult call(String prompt) {
                try {
                    CallResult r = endpoint.call(prompt, request.temperature, request.seed, deadline);
                    usage[0] += r.tokensIn;
                    usage[1] += r.tokensOut;
                    usage[2] += r.attempts;
                    return r;
                } catch (CallFailedException e) {
                    usage[2] += e.attempts;
                    throw e;
                }
            }

            @Override
            public List<RetrievedChunk> retrieve(String tenant, String question) {
                return retriever.retrieve(tenant, question, q.k);
            }
        };
        CandidateResult r;
        try {
            Strategy.Outcome outcome = strategy.run(q.text, q.tenant, request.retrieval.chunks, session);
            r = base(request, endpoint);
            r.status = CandidateResult.OK;
            r.answer = outcome.answer;
            r.cited.addAll(outcome.cited);
        } catch (CallFailedException e) {
            r = failed(request, endpoint, e.timeout ? CandidateResult.TIMEOUT : CandidateResult.ERROR,
                    e.getMessage(), 0, start);
        } catch (RuntimeException e) {
            r = failed(request, endpoint, CandidateResult.ERROR, e.toString(), 0, start);
        }
        r.tokensIn = usage[0];
        r.tokensOut = usage[1];
        r.attempts = (int) usage[2];
        r.latencyMs = System.currentTimeMillis() - start;
        return r;
    }

    private static CandidateResult base(CandidateRequest request, ChatEndpoint endpoint) {
        CandidateResult r = new CandidateResult();
        r.questionId = request.retrieval.question.questionId;
        r.index = request.index;
        r.endpoint = request.endpoint;
        if (endpoint != null) {
            r.model = endpoint.spec.model;
            r.weight = endpoint.spec.weight;
        }
        return r;
    }

    /** A failed candidate record (also used by operator timeouts). */
    public static CandidateResult failed(CandidateRequest request, ChatEndpoint endpoint, String status, String error,
                                         int attempts, long start) {
        CandidateResult r = base(request, endpoint);
        r.status = status;
        r.error = error;
        r.attempts = attempts;
        r.latencyMs = start > 0 ? System.currentTimeMillis() - start : 0;
        return r;
    }

    @Override
    public void close() {
        endpoints.values().forEach(ChatEndpoint::close);
    }
}
