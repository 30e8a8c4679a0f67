package io.streamrag.query.generate;

import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.vote.VoteTally;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** N candidates in one request (OpenAI's n): fan-out grouping, one request and one prompt's tokens, same vote. */
class ChoicesTest {

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.setFaults(new Faults());
        SERVER.resetStats();
    }

    private static CandidateGenerator generator(int maxChoices) {
        return new CandidateGenerator(
                List.of(EndpointSpec.parse("local=openai," + SERVER.baseUrl() + ",extractive,4,1.0,10000,," + maxChoices)),
                new RetryPolicy(2, 20, 200), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                (tenant, q, k) -> List.of());
    }

    static Retrieval retrieval(String id, int n, String strategy) {
        QuestionTask q = new QuestionTask();
        q.questionId = id;
        q.tenant = "acme";
        q.text = "Which port does the admin UI use?";
        q.n = n;
        q.k = 2;
        q.strategy = strategy;
        q.deadlineMs = 60_000;
        q.receivedAtMs = System.currentTimeMillis();
        Retrieval r = new Retrieval();
        r.question = q;
        r.chunks.add(chunk("manual-42:1:0", 17, "The admin UI listens on port 8443 over HTTPS."));
        r.chunks.add(chunk("manual-42:1:1", 3, "Installation requires Java 17 and 4 GB of memory."));
        return r;
    }

    private static RetrievedChunk chunk(String id, int page, String text) {
        RetrievedChunk c = new RetrievedChunk();
        c.chunkId = id;
        c.documentId = "manual-42";
        c.page = page;
        c.kind = "text";
        c.text = text;
        c.score = 1.0;
        return c;
    }

    private static List<CandidateRequest> fanOut(FanOut f, Retrieval r) {
        List<CandidateRequest> out = new ArrayList<>();
        f.flatMap(r, new Collector<>() {
            @Override
            public void collect(CandidateRequest record) {
                out.add(record);
            }

            @Override
            public void close() {}
        });
        return out;
    }

    @Test
    void endpointOptionSaysWhetherNIsTaken() {
        assertThat(EndpointSpec.parse("v=openai,http://127.0.0.1:8000/v1,granite").maxChoices).isEqualTo(1);
        assertThat(EndpointSpec.parse("v=openai,http://127.0.0.1:8000/v1,granite,8,1.0,60000,,16").maxChoices)
                .isEqualTo(16);
        assertThatThrownBy(() -> EndpointSpec.parse("o=ollama,http://127.0.0.1:11434,granite,8,1.0,60000,,16"))
                .hasMessageContaining("openai provider");
        assertThatThrownBy(() -> EndpointSpec.parse("v=openai,http://127.0.0.1:8000/v1,granite,8,1.0,60000,,0"))
                .hasMessage("Endpoint 'v': maxChoices must be at least 1, was 0");
    }

    @Test
    void fanOutGroupsEachEndpointsCandidatesIntoRequestsOfAtMostMaxChoices() {
        List<EndpointSpec> specs = EndpointSpec.parseAll("a=openai,http://127.0.0.1:1/v1,m,4,1.0,1000,,3;"
                + "b=openai,http://127.0.0.1:2/v1,m");
        for (int n : new int[] {1, 2, 7, 16}) {
            List<CandidateRequest> requests = fanOut(FanOut.of(specs, 0.7), retrieval("q-" + n, n, "RAG"));
            List<Integer> indices = new ArrayList<>();
            int onA = 0;
            int onB = 0;
            for (CandidateRequest req : requests) {
                assertThat(req.choices).isBetween(1, req.endpoint.equals("a") ? 3 : 1);
                for (CandidateRequest m : CandidateGenerator.members(req)) {
                    assertThat(m.endpoint).isEqualTo(FanOut.request(m.retrieval, m.index, List.of("a", "b"), 0.7).endpoint);
                    assertThat(m.seed).isEqualTo(FanOut.request(m.retrieval, m.index, List.of("a", "b"), 0.7).seed);
                    indices.add(m.index);
                    if (m.endpoint.equals("a")) {
                        onA++;
                    } else {
                        onB++;
                    }
                }
            }
            assertThat(indices).as("n=" + n).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.range(0, n).boxed().toList());
            long requestsOnA = requests.stream().filter(q -> q.endpoint.equals("a")).count();
            assertThat(requestsOnA).isEqualTo((onA + 2) / 3);
            assertThat(requests.stream().filter(q -> q.endpoint.equals("b")).count()).isEqualTo(onB);
        }
    }

    @Test
    void oneRequestAndOnePromptForAllCandidatesAndTheSameVote() throws Exception {
        int n = 8;
        Retrieval r = retrieval("q-batch", n, "RAG");
        List<CandidateResult> separate = new ArrayList<>();
        try (CandidateGenerator g = generator(1)) {
            List<CompletableFuture<CandidateResult>> fs = new ArrayList<>();
            for (CandidateRequest req : fanOut(FanOut.of(List.of(g.endpoint("local").spec), 0.7), r)) {
                fs.add(g.generate(req));
            }
            for (CompletableFuture<CandidateResult> f : fs) {
                separate.add(f.get());
            }
        }
        assertThat(SERVER.chatRequests()).isEqualTo(n);
        SERVER.resetStats();

        List<CandidateResult> batched;
        try (CandidateGenerator g = generator(16)) {
            List<CandidateRequest> requests = fanOut(FanOut.of(List.of(g.endpoint("local").spec), 0.7), r);
            assertThat(requests).hasSize(1);
            assertThat(requests.get(0).choices).isEqualTo(n);
            batched = g.generateAll(requests.get(0)).get();
        }
        assertThat(SERVER.chatRequests()).isEqualTo(1);
        assertThat(batched).hasSize(n).allMatch(CandidateResult::ok);
        assertThat(batched).extracting(c -> c.index).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, n).boxed().toList());

        long promptOnce = separate.get(0).tokensIn;
        assertThat(separate).allMatch(c -> c.tokensIn == promptOnce);
        assertThat(separate.stream().mapToLong(c -> c.tokensIn).sum()).isEqualTo(n * promptOnce);
        assertThat(batched.stream().mapToLong(c -> c.tokensIn).sum()).isEqualTo(promptOnce);
        assertThat(batched.stream().mapToInt(c -> c.attempts).sum()).isEqualTo(1);
        assertThat(batched.get(0).cited).isNotEmpty();
        assertThat(VoteTally.of(batched).leader().key).isEqualTo(VoteTally.of(separate).leader().key)
                .isEqualTo("8443");
    }

    @Test
    void aFailedRequestFailsEveryCandidateOnceWithBoundedRetries() throws Exception {
        SERVER.setFaults(Faults.parse("error=1.0"));
        try (CandidateGenerator g = generator(16)) {
            CandidateRequest req = fanOut(FanOut.of(List.of(g.endpoint("local").spec), 0.7),
                    retrieval("q-fail", 4, "RAG")).get(0);
            List<CandidateResult> results = g.generateAll(req).get();
            assertThat(results).hasSize(4).allMatch(c -> c.is(Status.ERROR));
            assertThat(results.get(0).error).contains("HTTP 500");
            assertThat(results.stream().mapToInt(c -> c.attempts).sum()).isEqualTo(3);
        }
        assertThat(SERVER.count(500)).isEqualTo(3);
    }

    /**
     * A shared request its breaker turns away (half-open, every probe taken by other calls) is no failure of its
     * candidates: they run one at a time, waiting as single calls do, and answer once the breaker lets them through.
     * Before, every candidate of the request came back ERROR "circuit open" at once.
     */
    @Test
    void aRequestItsBreakerTurnsAwayRunsItsCandidatesOneAtATimeInsteadOfFailingThemAll() throws Exception {
        try (CandidateGenerator g = new CandidateGenerator(
                List.of(EndpointSpec.parse("probes-taken=openai," + SERVER.baseUrl() + ",extractive,4,1.0,10000,,4")),
                new RetryPolicy(2, 20, 200), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                (tenant, q, k) -> List.of(), HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            CircuitBreaker breaker = g.endpoint("probes-taken").health().breaker;
            CountDownLatch turnedAway = TestBreakers.takeEveryProbe(breaker);
            CandidateRequest three = FanOut.request(retrieval("q-probes-taken", 3, "RAG"), 0, List.of("probes-taken"), 0.7);
            three.choices = 3;
            CompletableFuture<List<CandidateResult>> results = g.generateAll(three);
            assertThat(turnedAway.await(10, TimeUnit.SECONDS)).as("the shared request was turned away").isTrue();

            TestBreakers.answerEveryProbe(breaker); // the breaker closes
            assertThat(results.get(20, TimeUnit.SECONDS)).hasSize(3).allMatch(CandidateResult::ok);
        }
        assertThat(SERVER.chatRequests()).as("one request per candidate").isEqualTo(3);
    }

    /** ITERDRAG has no single prompt: its candidates go out one request each even where the endpoint takes n. */
    @Test
    void multiCallStrategiesStillRunOneRequestPerCandidate() throws Exception {
        try (CandidateGenerator g = generator(16)) {
            List<CandidateRequest> requests = fanOut(FanOut.of(List.of(g.endpoint("local").spec), 0.7),
                    retrieval("q-iter", 3, "ITERDRAG"));
            assertThat(requests).hasSize(3).allMatch(req -> req.choices <= 1);
            for (CandidateRequest req : requests) {
                assertThat(g.generateAll(req).get()).hasSize(1).allMatch(CandidateResult::ok);
            }
        }
        assertThat(SERVER.chatRequests()).isGreaterThanOrEqualTo(3);
    }

    /**
     * Candidates of one request run one by one (no single prompt, an open breaker, a full bulkhead) are handed over
     * together: once all have finished, or at the question's hand-over time with what has, the rest cancelled and
     * TIMEOUT. Waiting for the slowest held the finished ones back until after the vote had answered without them.
     */
    @Test
    void membersRunOneByOneAreHandedOverBeforeTheDeadlineWithWhatFinished() throws Exception {
        AtomicBoolean first = new AtomicBoolean();
        Retrieval r = retrieval("q-slow", 3, "ITERDRAG");
        r.question.text = "Which port does the admin UI use and which Java version is required?";
        r.question.deadlineMs = 3_000;
        FollowUpRetriever slowOnce = (tenant, q, k) -> {
            if (first.compareAndSet(false, true)) {
                try {
                    Thread.sleep(6_000); // one candidate's follow-up retrieval hangs past the deadline
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return r.chunks;
        };
        try (CandidateGenerator g = new CandidateGenerator(
                List.of(EndpointSpec.parse("local=openai," + SERVER.baseUrl() + ",extractive,4,1.0,10000,,16")),
                new RetryPolicy(2, 20, 200), 256, CallListener.NONE, Demonstrations.load(null), 2, 2, slowOnce)) {
            CandidateRequest three = FanOut.request(r, 0, List.of("local"), 0.7);
            three.choices = 3;
            r.question.receivedAtMs = System.currentTimeMillis();
            List<CandidateResult> results = g.generateAll(three).get();
            assertThat(System.currentTimeMillis()).as("handed over before the deadline").isLessThan(r.question.deadlineAtMs());
            assertThat(results).hasSize(3);
            assertThat(results.stream().filter(CandidateResult::ok).count()).isEqualTo(2);
            assertThat(results.stream().filter(c -> c.is(Status.TIMEOUT)).count()).isEqualTo(1);
        }
    }

    @Test
    void aSingleChoiceOrAnEndpointWithoutNRunsEachCandidateAlone() throws Exception {
        try (CandidateGenerator g = generator(1)) {
            CandidateRequest one = FanOut.request(retrieval("q-one", 1, "RAG"), 0, List.of("local"), 0.7);
            assertThat(g.generateAll(one).get()).hasSize(1).allMatch(CandidateResult::ok);
            CandidateRequest three = FanOut.request(retrieval("q-three", 3, "RAG"), 0, List.of("local"), 0.7);
            three.choices = 3;
            assertThat(g.generateAll(three).get()).hasSize(3).allMatch(CandidateResult::ok);
        }
        assertThat(SERVER.chatRequests()).isEqualTo(4);
    }

    @Test
    void parsesChoicesAndRejectsTooFew() {
        Choices c = ChoicesClient.parse("{\"choices\":[{\"index\":1,\"message\":{\"content\":\"b\"}},"
                + "{\"index\":0,\"message\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":6}}",
                2, 1);
        assertThat(c.texts).containsExactly("a", "b");
        assertThat(c.tokensIn).isEqualTo(40);
        assertThat(c.tokensOut).isEqualTo(6);
        assertThatThrownBy(() -> ChoicesClient.parse("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"a\"}}]}", 2, 1))
                .hasMessageContaining("expected 2 choices");
        assertThat(ChoicesClient.body("granite", "P", 0.7, 5, 4, 256))
                .contains("\"n\":4").contains("\"seed\":5").contains("\"max_tokens\":256").contains("\"content\":\"P\"");
    }
}
