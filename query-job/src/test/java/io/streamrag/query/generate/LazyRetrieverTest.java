package io.streamrag.query.generate;

import io.streamrag.query.generate.Generators.LazyRetriever;
import io.streamrag.query.generate.Generators.LazyRetriever.Opened;
import io.streamrag.query.records.RetrievedChunk;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ITERDRAG's follow-up retrieval opens its clients (an OpenSearch client, the embedding model: the ONNX one loads for
 * seconds and takes no interrupt) on first use, once; the retrievals that wait for that meanwhile can be interrupted.
 */
class LazyRetrieverTest {

    private static final List<RetrievedChunk> NONE = List.of();

    /** An opening that ignores interrupts until {@code done} (as a model load), counting its closes in {@code closed}. */
    private static Supplier<Opened> slowOpening(CountDownLatch opening, CountDownLatch done, AtomicInteger closed) {
        return () -> {
            opening.countDown();
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return new Opened((t, q, k) -> NONE, closed::incrementAndGet);
        };
    }

    /** Runs a retrieval on a thread of its own; the future holds the thread, then the outcome. */
    private static CompletableFuture<List<RetrievedChunk>> retrieveOnOwnThread(LazyRetriever r,
                                                                               CompletableFuture<Thread> thread) {
        CompletableFuture<List<RetrievedChunk>> out = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                out.complete(r.retrieve("acme", "which port?", 4));
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        }, "lazy-retriever-test");
        t.setDaemon(true);
        thread.complete(t);
        t.start();
        return out;
    }

    /**
     * A retrieval waiting for another one's opening ends when interrupted (its follow-up timeout, or the vote's abort),
     * not when the opening does: it waited on the lock the opening held, which no interrupt frees.
     */
    @Test
    void aRetrievalWaitingForTheOpeningEndsWhenInterrupted() throws Exception {
        CountDownLatch opening = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        LazyRetriever r = new LazyRetriever(slowOpening(opening, done, new AtomicInteger()), 1_000);
        try {
            CompletableFuture<List<RetrievedChunk>> first = retrieveOnOwnThread(r, new CompletableFuture<>());
            assertThat(opening.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Thread> waiter = new CompletableFuture<>();
            CompletableFuture<List<RetrievedChunk>> second = retrieveOnOwnThread(r, waiter);
            Thread t = waiter.get();
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                 t.getState() == Thread.State.RUNNABLE || t.getState() == Thread.State.NEW; ) {
                if (System.nanoTime() > until) {
                    break;
                }
                Thread.sleep(5); // until it waits for the opening
            }
            t.interrupt();
            assertThatThrownBy(() -> second.get(2, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(InterruptedException.class);
            assertThat(first).isNotDone();
            done.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(r.retrieve("acme", "which port?", 4)).isEmpty();
        } finally {
            done.countDown();
            r.close();
        }
    }

    /** As before, an opening that failed is not kept: the next retrieval opens again. */
    @Test
    void aFailedOpeningIsTriedAgainByTheNextRetrieval() {
        AtomicInteger attempts = new AtomicInteger();
        LazyRetriever r = new LazyRetriever(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("OpenSearch not reachable yet");
            }
            return new Opened((t, q, k) -> NONE, () -> {});
        }, 1_000);
        try {
            assertThatThrownBy(() -> r.retrieve("acme", "which port?", 4)).hasMessageContaining("not reachable yet");
            assertThat(r.retrieve("acme", "which port?", 4)).isEmpty();
            assertThat(r.retrieve("acme", "which port?", 4)).isEmpty();
            assertThat(attempts).hasValue(2);
        } finally {
            r.close();
        }
    }

    /**
     * Closing while the clients are being opened returns at once (it waited for the model load) and the clients the
     * opening then makes are closed, not handed to the retrieval.
     */
    @Test
    void closedWhileOpeningItClosesWhatTheOpeningMakes() throws Exception {
        CountDownLatch opening = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger closed = new AtomicInteger();
        LazyRetriever r = new LazyRetriever(slowOpening(opening, done, closed), 1_000);
        try {
            CompletableFuture<List<RetrievedChunk>> first = retrieveOnOwnThread(r, new CompletableFuture<>());
            assertThat(opening.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(r::close);
            closing.get(2, TimeUnit.SECONDS);
            done.countDown();
            assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasMessageContaining("closed");
            assertThat(closed).hasValue(1);
            assertThatThrownBy(() -> r.retrieve("acme", "which port?", 4)).hasMessageContaining("closed");
        } finally {
            done.countDown();
        }
    }
}
