package io.streamrag.query.generate;

import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RetrievedChunk;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

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

    private CandidateResult run(CandidateRequest request, ChatEndpoint endpoint, long start) {
        QuestionTask q = request.retrieval.question;
        long deadline = q.deadlineAtMs();
        Strategy strategy = strategies.getOrDefault(q.strategy.toUpperCase(Locale.ROOT), strategies.get("RAG"));
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
