package io.streamrag.query.generate;

import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.RetrievedChunk;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ITERDRAG's follow-up retrieval is given up as a timeout after min(the retriever's timeout, time left). Before, only
 * the search client's own timeout bounded it: a hanging search held the candidate until its deadline + 1 s.
 */
class FollowUpRetrievalTest {

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    /** A search that hangs until interrupted (its client wraps the interrupt), with {@code timeoutMs}. */
    private static FollowUpRetriever hanging(long timeoutMs) {
        return new FollowUpRetriever() {
            @Override
            public List<RetrievedChunk> retrieve(String tenant, String question, int k) {
                try {
                    Thread.sleep(30_000);
                } catch (InterruptedException e) {
                    throw new RuntimeException("search interrupted", e);
                }
                return List.of();
            }

            @Override
            public long timeoutMs() {
                return timeoutMs;
            }
        };
    }

    private static CandidateResult run(String endpoint, FollowUpRetriever retriever, Retrieval r) throws Exception {
        r.question.strategy = "ITERDRAG";
        r.question.text = "Which port does the admin UI use and which Java version is required?";
        try (CandidateGenerator g = new CandidateGenerator(
                EndpointSpec.parseAll(endpoint + "=openai," + SERVER.baseUrl() + ",extractive,4"),
                new RetryPolicy(2, 20, 50), 256, CallListener.NONE, Demonstrations.load(null), 2, 2, retriever,
                HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            return g.start(FanOut.request(r, 0, List.of(endpoint), 0.7), null).result.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aHangingFollowUpSearchEndsAtTheQuestionsDeadline() throws Exception {
        Retrieval r = TestRetrievals.adminPort("q-follow-up-deadline", 1, 2_000);
        CandidateResult c = run("follow-up-deadline", hanging(Long.MAX_VALUE), r);
        long endedAt = System.currentTimeMillis();
        assertThat(c.status).isEqualTo(Status.TIMEOUT.name());
        assertThat(c.error).contains("follow-up retrieval");
        assertThat(endedAt).as("at the deadline, not a second past it").isLessThan(r.question.deadlineAtMs() + 500);
    }

    @Test
    void aHangingFollowUpSearchEndsAtTheRetrieveTimeout() throws Exception {
        Retrieval r = TestRetrievals.adminPort("q-follow-up-timeout", 1, 60_000);
        long start = System.currentTimeMillis();
        CandidateResult c = run("follow-up-timeout", hanging(300), r);
        assertThat(c.status).isEqualTo(Status.TIMEOUT.name());
        assertThat(c.error).contains("follow-up retrieval took over 300 ms");
        assertThat(System.currentTimeMillis() - start).as("the 300 ms timeout, not the 60 s deadline").isLessThan(5_000);
    }

    @Test
    void aFollowUpSearchAbortedBeforeItsTimeoutFiresEndsCancelledNotTimedOut() throws Exception {
        // The vote is decided while the search runs (an abort interrupts it), and its timeout fires too before it
        // returns: the candidate was aborted, and a TIMEOUT would count it twice and blame the model endpoint.
        CompletableFuture<CandidateCall> call = new CompletableFuture<>();
        FollowUpRetriever abortedThenTimedOut = new FollowUpRetriever() {
            @Override
            public List<RetrievedChunk> retrieve(String tenant, String question, int k) {
                call.join().cancel();
                for (int interrupts = 0; interrupts < 2; ) { // the abort's, then the timeout's
                    try {
                        Thread.sleep(30_000);
                    } catch (InterruptedException e) {
                        interrupts++;
                    }
                }
                throw new RuntimeException("search interrupted");
            }

            @Override
            public long timeoutMs() {
                return 300;
            }
        };
        Retrieval r = TestRetrievals.adminPort("q-follow-up-aborted", 1, 60_000);
        r.question.strategy = "ITERDRAG";
        r.question.text = "Which port does the admin UI use and which Java version is required?";
        try (CandidateGenerator g = new CandidateGenerator(
                EndpointSpec.parseAll("follow-up-aborted=openai," + SERVER.baseUrl() + ",extractive,4"),
                new RetryPolicy(2, 20, 50), 256, CallListener.NONE, Demonstrations.load(null), 2, 2, abortedThenTimedOut,
                HealthSettings.from(new Configuration()), HedgeSettings.off())) {
            call.complete(g.start(FanOut.request(r, 0, List.of("follow-up-aborted"), 0.7), null));
            CandidateResult c = call.join().result.get(10, TimeUnit.SECONDS);
            assertThat(c.status).isEqualTo(Status.CANCELLED.name());
        }
    }
}
