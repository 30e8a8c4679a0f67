package io.streamrag.query.functions;

import io.streamrag.common.embedding.EmbeddingErrors;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.metrics.RetrievalMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;
import io.streamrag.query.retrieve.RetrieveSettings;
import io.streamrag.query.vote.FailureReason;

import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.OpenSearchException;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Embeds the question and runs tenant-filtered hybrid search on a small executor (both calls are blocking). A failed
 * attempt (OpenSearch down, refusing, timing out) is retried with backoff while the question's deadline allows, so
 * questions that arrive during an outage are answered once it is back; at the deadline the question FAILS with
 * reason {@code retrieval unavailable}.
 */
public class AsyncRetrieve extends RichAsyncFunction<QuestionTask, Retrieval> {
    private static final long serialVersionUID = 1L;

    private final RetrieveSettings settings;
    private transient OpenSearchClient client;
    private transient HybridRetriever retriever;
    private transient EmbeddingModel model;
    private transient ExecutorService executor;
    private transient ScheduledExecutorService timers;
    private transient RetrievalMetrics metrics;

    public AsyncRetrieve(RetrieveSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext context) {
        client = OpenSearchClients.create(settings.connection());
        model = EmbeddingModels.create(settings.embedding());
        retriever = new HybridRetriever(client, model, settings.alias(), settings.poolSize(), settings.rrfK());
        executor = Executors.newFixedThreadPool(settings.threads());
        ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "retrieve-timers");
            t.setDaemon(true);
            return t;
        });
        // A question answered in time cancels its deadline task: gone from the queue at once, not kept (with the
        // retrieval its result future holds) until its deadline, up to an hour later.
        deadlines.setRemoveOnCancelPolicy(true);
        timers = deadlines;
        metrics = new RetrievalMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void asyncInvoke(QuestionTask q, ResultFuture<Retrieval> resultFuture) {
        long start = System.currentTimeMillis();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> lastError = new AtomicReference<>();
        // Answer at the deadline whatever an attempt is doing (a hanging search must not hold the question).
        long left = q.deadlineAtMs() - start;
        AtomicReference<ScheduledFuture<?>> atDeadline = new AtomicReference<>();
        atDeadline.set(timers.schedule(() -> fail(q, start, FailureReason.RETRIEVAL_UNAVAILABLE.because(
                        lastError.get() == null ? "no answer from the index before the deadline" : lastError.get()), done, atDeadline, resultFuture),
                Math.max(0, left), TimeUnit.MILLISECONDS));
        attempt(q, 0, start, done, lastError, atDeadline, resultFuture);
    }

    /** Answered before the deadline: drop its timer, so finished questions hold no scheduled task. */
    private static void cancel(AtomicReference<ScheduledFuture<?>> atDeadline) {
        ScheduledFuture<?> f = atDeadline.get();
        if (f != null) {
            f.cancel(false);
        }
    }

    private void attempt(QuestionTask q, int retry, long start, AtomicBoolean done, AtomicReference<String> lastError,
                         AtomicReference<ScheduledFuture<?>> atDeadline, ResultFuture<Retrieval> resultFuture) {
        CompletableFuture<List<RetrievedChunk>> search = new CompletableFuture<>();
        executor.execute(() -> {
            // Queued behind searches that hang (an outage): not run once the question has ended meanwhile.
            if (done.get()) {
                search.cancel(false);
                return;
            }
            // The attempt's clock starts when its search does, not when it was queued: timed out while waiting for a
            // thread behind slow searches, it was queued again at the back, and still ran later for nothing, so under
            // a slow index questions failed while the index still answered.
            long left = Math.max(1, q.deadlineAtMs() - System.currentTimeMillis());
            long bound = Math.min(settings.attemptTimeout().toMillis(), left);
            // A hanging search is given up, on this operator's timer thread: orTimeout's is the JDK's one per JVM,
            // started by the first call and kept for the JVM's life with the class loader of the job that started it.
            ScheduledFuture<?> giveUp;
            try {
                giveUp = timers.schedule(() -> search.completeExceptionally(new TimeoutException("no answer within "
                        + QueryOptions.RETRIEVE_TIMEOUT.key() + " (" + bound + " ms)")), bound, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                search.cancel(false);
                return;
            }
            try {
                search.complete(retriever.retrieve(q.tenant, q.text, q.k));
            } catch (Throwable e) {
                search.completeExceptionally(e);
            } finally {
                giveUp.cancel(false);
            }
        });
        search
                .whenComplete((chunks, error) -> {
                    if (done.get()) {
                        return;
                    }
                    if (error != null) {
                        lastError.set(rootMessage(error));
                        long delay = settings.backoff().delayMs(retry);
                        if (permanent(error)) { // no retry mends it: FAILED now, not "unavailable" at the deadline
                            fail(q, start, FailureReason.RETRIEVAL_REFUSED.because(lastError.get()), done, atDeadline, resultFuture);
                        } else if (System.currentTimeMillis() + delay < q.deadlineAtMs()) {
                            metrics.get(RetrievalMetrics.RETRIED).inc();
                            timers.schedule(() -> attempt(q, retry + 1, start, done, lastError, atDeadline,
                                            resultFuture),
                                    delay, TimeUnit.MILLISECONDS);
                        } else {
                            fail(q, start, FailureReason.RETRIEVAL_UNAVAILABLE.because(lastError.get()), done, atDeadline, resultFuture);
                        }
                        return;
                    }
                    if (done.compareAndSet(false, true)) {
                        cancel(atDeadline);
                        resultFuture.complete(Collections.singleton(succeeded(q, start, chunks)));
                    }
                });
    }

    /** Replaces the retriever opened by {@link #open}: tests give it one that answers as they need. */
    void retriever(HybridRetriever retriever) {
        this.retriever = retriever;
    }

    /** Deadline and retry tasks waiting in the timer queue (a question answered in time leaves none). */
    int scheduledTimers() {
        return ((ScheduledThreadPoolExecutor) timers).getQueue().size();
    }

    /** Ends the question FAILED with {@code error}, unless it has ended already. */
    private void fail(QuestionTask q, long start, String error, AtomicBoolean done,
                      AtomicReference<ScheduledFuture<?>> atDeadline, ResultFuture<Retrieval> resultFuture) {
        if (done.compareAndSet(false, true)) {
            cancel(atDeadline);
            metrics.get(RetrievalMetrics.FAILURES).inc();
            resultFuture.complete(Collections.singleton(failed(q, start, error)));
        }
    }

    /**
     * An error no retry can mend: OpenSearch refused the request itself (a 4xx, not 429), or the question's text cannot be
     * embedded (blank, or refused by a remote embedding provider: too long, filtered). Outages (I/O, 5xx, 429, a
     * hanging search, the provider's own outage) are retried until the deadline, and so is a provider's answer about its
     * setup rather than the text (a wrong key, a model still being pulled): it can change, and every question has it.
     */
    static boolean permanent(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c instanceof OpenSearchException) {
                return !OpenSearchClients.retriable((OpenSearchException) c);
            }
            if (c instanceof LangChain4jException) {
                // What the ingest job's embedder goes by: its InvalidRequestException is no IllegalArgumentException,
                // and was retried until the deadline (up to an hour), holding a retrieval slot all along.
                return EmbeddingErrors.classify(c) == EmbeddingErrors.Kind.INPUT;
            }
            if (c instanceof IllegalArgumentException) {
                return true;
            }
        }
        return false;
    }

    private Retrieval succeeded(QuestionTask q, long start, List<RetrievedChunk> chunks) {
        Retrieval r = new Retrieval();
        r.question = q;
        r.retrievalMs = System.currentTimeMillis() - start;
        metrics.get(RetrievalMetrics.RETRIEVALS).inc();
        metrics.latency(r.retrievalMs);
        r.chunks.addAll(chunks);
        if (chunks.isEmpty()) {
            metrics.get(RetrievalMetrics.EMPTY).inc();
        }
        return r;
    }

    private static Retrieval failed(QuestionTask q, long start, String error) {
        Retrieval r = new Retrieval();
        r.question = q;
        r.retrievalMs = System.currentTimeMillis() - start;
        r.error = error;
        return r;
    }

    @Override
    public void timeout(QuestionTask q, ResultFuture<Retrieval> resultFuture) {
        // Safety net only (the deadline timer answers first): never fail the job on a slow search.
        metrics.get(RetrievalMetrics.FAILURES).inc();
        resultFuture.complete(Collections.singleton(failed(q, q.receivedAtMs, FailureReason.RETRIEVAL_UNAVAILABLE.because("timed out"))));
    }

    @Override
    public void close() {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
        OpenSearchClients.close(client);
        EmbeddingModels.release(model); // after the calls still running on it
    }

    static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
