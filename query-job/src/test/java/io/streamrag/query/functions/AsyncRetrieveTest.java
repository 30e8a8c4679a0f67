package io.streamrag.query.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;
import io.streamrag.query.retrieve.RetrieveSettings;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ContentFilteredException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.RateLimitException;
import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch._types.ErrorResponse;
import org.opensearch.client.opensearch._types.OpenSearchException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Which retrieval errors are waited out until the question's deadline and which fail it at once; what an answered question leaves. */
class AsyncRetrieveTest {

    /** Questions that ended long before their hour-long deadlines: their deadline tasks must not stay queued till then. */
    @Test
    void aQuestionThatEndedLeavesNoTaskWaitingForItsDeadline() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + closedPort); // never reached: see below
        AsyncRetrieve retrieve = new AsyncRetrieve(RetrieveSettings.from(conf));
        try (var h = new OneInputStreamOperatorTestHarness<QuestionTask, Retrieval>(
                new AsyncWaitOperatorFactory<>(retrieve, 7_200_000, 64, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(QuestionTask.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            for (int i = 0; i < 20; i++) {
                QuestionTask q = TestRetrievals.adminPort("q" + i, 1, 3_600_000).question;
                q.text = " "; // cannot be embedded: FAILED at once, no retry
                h.processElement(q, 0);
            }
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(20).allSatisfy(r -> assertThat(r.error).isNotNull());
            assertThat(retrieve.scheduledTimers()).isZero();
        }
    }

    /**
     * A slow index, one search thread: each question waits its turn and is answered, one search each. The attempt's
     * timeout used to run while it waited in the queue, so it was retried at the back while the stale search still ran:
     * half the questions failed and 10 searches ran for 6 questions.
     */
    @Test
    void anAttemptWaitingForASearchThreadIsNotTimedOut() throws Exception {
        AtomicInteger searches = new AtomicInteger();
        List<Retrieval> out = retrieve(1, Duration.ofMillis(400), 4_000, 6, () -> {
            searches.incrementAndGet();
            Thread.sleep(300);
        });
        assertThat(out).hasSize(6).allSatisfy(r -> assertThat(r.error).isNull());
        assertThat(searches).hasValue(6);
    }

    /** A search that hangs is given up after query.retrieve.timeout, retried, and the question FAILS at its deadline saying why. */
    @Test
    void aHangingSearchIsGivenUpAfterTheAttemptTimeoutAndRetriedUntilTheDeadline() throws Exception {
        AtomicInteger searches = new AtomicInteger();
        List<Retrieval> out = retrieve(4, Duration.ofMillis(200), 1_500, 1, () -> {
            searches.incrementAndGet();
            Thread.sleep(60_000); // interrupted when the harness closes
        });
        assertThat(out).singleElement().satisfies(r -> assertThat(r.error).contains("no answer within query.retrieve.timeout (200 ms)"));
        assertThat(searches.get()).as("retried after each attempt timeout").isGreaterThan(1);
    }

    /** What a search does before it answers with no chunks. */
    private interface Search {
        void run() throws InterruptedException;
    }

    /**
     * The retrievals of {@code questions} questions with {@code deadlineMs} each, through the operator with {@code threads}
     * search threads and {@code attemptTimeout}, its retriever replaced by {@code search}.
     */
    private static List<Retrieval> retrieve(int threads, Duration attemptTimeout, long deadlineMs, int questions, Search search)
            throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + closedPort); // never reached: the retriever is replaced
        conf.set(QueryOptions.RETRIEVE_THREADS, threads);
        conf.set(QueryOptions.RETRIEVE_TIMEOUT, attemptTimeout);
        AsyncRetrieve retrieve = new AsyncRetrieve(RetrieveSettings.from(conf));
        try (var h = new OneInputStreamOperatorTestHarness<QuestionTask, Retrieval>(
                new AsyncWaitOperatorFactory<>(retrieve, 60_000, 64, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(QuestionTask.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            retrieve.retriever(new HybridRetriever(null, null, "x", 1, 60) {
                @Override
                public List<RetrievedChunk> retrieve(String tenant, String question, int k) {
                    try {
                        search.run();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return List.of();
                }
            });
            for (int i = 0; i < questions; i++) {
                h.processElement(TestRetrievals.adminPort("q" + i, 1, deadlineMs).question, 0);
            }
            h.endInput();
            return h.extractOutputValues();
        }
    }

    private static OpenSearchException status(int status) {
        return new OpenSearchException(ErrorResponse.of(r -> r.status(status)
                .error(e -> e.type(status == 400 ? "search_phase_execution_exception" : "x").reason("r"))));
    }

    @Test
    void refusalsFailAtOnceOutagesAreRetried() {
        // As the async stage reports them: wrapped in a CompletionException.
        assertThat(AsyncRetrieve.permanent(new CompletionException(status(400)))).isTrue(); // e.g. too many clauses
        assertThat(AsyncRetrieve.permanent(new CompletionException(new IllegalArgumentException("text cannot be null or blank")))).isTrue();
        assertThat(AsyncRetrieve.permanent(new CompletionException(status(503)))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(status(429)))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new UncheckedIOException(new ConnectException("refused"))))).isFalse();
        assertThat(AsyncRetrieve.permanent(new TimeoutException())).isFalse(); // a hanging search (orTimeout)
        assertThat(AsyncRetrieve.permanent(new IOException("reset"))).isFalse();
        // A remote embedding provider's answers about the question's text (too long, filtered) end it at once; its
        // outages (429, 5xx, timeouts) and answers about its setup (a wrong key, a model not pulled yet) are retried.
        assertThat(AsyncRetrieve.permanent(new CompletionException(new InvalidRequestException(new HttpException(400, "input too long"))))).isTrue();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new ContentFilteredException("filtered")))).isTrue();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new AuthenticationException(new HttpException(401, "bad key"))))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new RateLimitException(new HttpException(429, "slow down"))))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new InternalServerException(new HttpException(503, "busy"))))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new dev.langchain4j.exception.TimeoutException(new java.net.http.HttpTimeoutException("timed out"))))).isFalse();
    }
}
