package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.metrics.GenerationMetrics;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Aborted calls on a real loopback model server: with a spare call, many candidates at once on 2 cores, the call
 * that answers first aborts its twin, and the twin's report (CANCELLED, on its own thread) must never end the
 * candidate; an ITERDRAG candidate aborted in its follow-up retrieval is CANCELLED, not an ERROR; a twin ending after
 * the candidate's result still has its tokens counted.
 */
class SpareRaceTest {

    @Test
    void theAbortedTwinNeverEndsACandidateThatSucceeded() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("jitter=3"));
             CandidateGenerator g = new CandidateGenerator(
                     EndpointSpec.parseAll("e=openai," + server.baseUrl() + ",extractive,32"),
                     new RetryPolicy(0, 50, 100), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                     (t, q, k) -> List.of(), HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            Map<String, Integer> failed = new TreeMap<>();
            int spared = 0;
            int candidates = 0;
            for (int round = 0; round < 25; round++) {
                List<CandidateCall> calls = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    CandidateRequest req = FanOut.request(
                            TestRetrievals.adminPort("q" + round + "-" + i, 1, 30_000), 0, List.of("e"), 0.7);
                    calls.add(g.start(req, null, true)); // the primary and an up-front spare
                }
                for (CandidateCall call : calls) {
                    CandidateResult r = call.result.get(20, TimeUnit.SECONDS);
                    candidates++;
                    spared += r.hedges;
                    if (!r.ok()) {
                        failed.merge(r.status + ": " + r.error, 1, Integer::sum);
                    }
                }
            }
            assertThat(spared).isGreaterThan(candidates / 2); // the spare starts unless the primary is already done
            assertThat(g.endpoint("e").health().cancelled.get()).isGreaterThan(candidates / 2L); // twins aborted
            assertThat(failed).as("candidates that ended without their twin's answer").isEmpty();
        }
    }

    @Test
    void aCandidateAbortedInItsFollowUpRetrievalIsCancelled() throws Exception {
        CountDownLatch retrieving = new CountDownLatch(1);
        FollowUpRetriever blocking = (t, q, k) -> {
            retrieving.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                // As the OpenSearch client reports an interrupted search.
                throw new RuntimeException("thread waiting for the response was interrupted", e);
            }
            return List.of();
        };
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults());
             CandidateGenerator g = new CandidateGenerator(
                     EndpointSpec.parseAll("e=openai," + server.baseUrl() + ",extractive,4"),
                     new RetryPolicy(0, 50, 100), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                     blocking, HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            Retrieval r = TestRetrievals.adminPort("q-iter", 1, 30_000);
            r.question.strategy = "ITERDRAG";
            r.question.text = "Which port does the admin UI use, and which protocol does the admin UI use?";
            CandidateCall call = g.start(FanOut.request(r, 0, List.of("e"), 0.7), null);
            assertThat(retrieving.await(10, TimeUnit.SECONDS)).isTrue(); // the decomposition asked for follow-ups
            call.cancel();
            CandidateResult res = call.result.get(10, TimeUnit.SECONDS);
            assertThat(res.status).isEqualTo("CANCELLED");
            assertThat(res.error).isEqualTo("cancelled");
            assertThat(res.tokensIn).isPositive(); // the decomposition's call still counts
        }
    }

    /** An ITERDRAG request for candidate 0 of a fresh question on {@code endpoint}. */
    private static CandidateRequest iterDrag(String id, String endpoint) {
        Retrieval r = TestRetrievals.adminPort(id, 1, 30_000);
        r.question.strategy = "ITERDRAG";
        r.question.text = "Which port does the admin UI use, and which protocol does the admin UI use?";
        return FanOut.request(r, 0, List.of(endpoint), 0.7);
    }

    private static FollowUpRetriever blockedUntilInterrupted(CountDownLatch retrieving, CompletableFuture<?> thenAwait) {
        return (t, q, k) -> {
            retrieving.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                thenAwait.join();
                throw new RuntimeException("thread waiting for the response was interrupted", e);
            }
            return List.of();
        };
    }

    /**
     * A twin that ends after its candidate's result was handed out (an ITERDRAG chain aborted in its follow-up
     * retrieval, its first model call spent) has its tokens counted in tokensIn/tokensOut: the result can no longer
     * hold them, and they were dropped, so the metrics showed less than the endpoints were paid for.
     */
    @Test
    void theTokensOfATwinEndingAfterTheCandidatesResultAreCounted() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            // What the chain spends before its follow-up retrieval: the same candidate, aborted there on its own.
            long[] firstCall;
            CountDownLatch retrieving = new CountDownLatch(1);
            try (CandidateGenerator g = new CandidateGenerator(
                    EndpointSpec.parseAll("tokens-alone=openai," + server.baseUrl() + ",extractive,4"),
                    new RetryPolicy(0, 50, 100), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                    blockedUntilInterrupted(retrieving, CompletableFuture.completedFuture(null)),
                    HealthSettings.from(new Configuration()), HedgeSettings.off())) {
                CandidateCall call = g.start(iterDrag("q-tokens", "tokens-alone"), null);
                assertThat(retrieving.await(10, TimeUnit.SECONDS)).isTrue();
                call.cancel();
                CandidateResult alone = call.result.get(10, TimeUnit.SECONDS);
                firstCall = new long[] {alone.tokensIn, alone.tokensOut};
            }
            assertThat(firstCall[0]).isPositive();

            // The primary on "lose" reaches its follow-up retrieval; only then does its spare on "win" answer, which
            // aborts it; the aborted chain reports after the candidate's result is out.
            MetricListener listener = new MetricListener();
            GenerationMetrics metrics = new GenerationMetrics(listener.getMetricGroup());
            CountDownLatch loserRetrieving = new CountDownLatch(1);
            CompletableFuture<CandidateResult> result = new CompletableFuture<>();
            FollowUpRetriever loser = blockedUntilInterrupted(loserRetrieving, result);
            FollowUpRetriever retriever = (t, q, k) -> {
                if (Thread.currentThread().getName().startsWith("endpoint-tokens-lose-")) {
                    return loser.retrieve(t, q, k);
                }
                try {
                    loserRetrieving.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                return List.of();
            };
            try (CandidateGenerator g = new CandidateGenerator(
                    EndpointSpec.parseAll("tokens-lose=openai," + server.baseUrl() + ",extractive,4;"
                            + "tokens-win=openai," + server.baseUrl() + ",extractive,4"),
                    new RetryPolicy(0, 50, 100), 256, metrics, Demonstrations.load(null), 2, 2, retriever,
                    HealthSettings.from(new Configuration()), HedgeSettings.off())) {
                CandidateCall call = g.start(iterDrag("q-tokens", "tokens-lose"), null, true);
                CandidateResult won = call.result.get(20, TimeUnit.SECONDS);
                assertThat(won.status).isEqualTo("OK");
                assertThat(won.endpoint).isEqualTo("tokens-win");
                metrics.completed(won); // as the operator counts the candidate's result
                result.complete(won);
                Counter in = listener.getCounter(GenerationMetrics.TOKENS_IN.name()).orElseThrow();
                Counter out = listener.getCounter(GenerationMetrics.TOKENS_OUT.name()).orElseThrow();
                long expectedIn = won.tokensIn + firstCall[0];
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                     in.getCount() < expectedIn && System.nanoTime() < until; ) {
                    Thread.sleep(10);
                }
                assertThat(in.getCount()).isEqualTo(expectedIn);
                assertThat(out.getCount()).isEqualTo(won.tokensOut + firstCall[1]);
            }
        }
    }
}
