package io.streamrag.ingest.extract;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A read of an image joined to one under way ends with it, however that ends: with an Error, or with no text (a vision
 * model's empty reply), which is empty text. Before, both left the joined read waiting for good, holding one of the
 * TaskManager's OCR threads.
 */
class OcrCacheTest {

    /** What the joined read of {@code key} ended with, once a first read of it ended as {@code ending} says. */
    private static Object joinedTo(OcrCache cache, String key, OcrCache.Reader ending) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            try {
                cache.get(key, () -> {
                    started.countDown();
                    release.await();
                    return ending.read();
                });
            } catch (Throwable ignored) {
                // the first read's own end: not what is tested here
            }
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicReference<Object> ended = new AtomicReference<>();
        Thread second = joinedRead(cache, key, "read on its own", ended);
        release.countDown();
        second.join(10_000);
        assertThat(second.isAlive()).as("the joined read still waiting").isFalse();
        first.get(10, TimeUnit.SECONDS);
        return ended.get() instanceof OcrCache.Result ? ((OcrCache.Result) ended.get()).text() : ended.get();
    }

    /**
     * A second read of {@code key}, started once the first is under way, which would read {@code ownText}; returns once
     * it is parked on the first read's result (joined). What it ends with, a Result or an exception, goes to {@code ended}.
     */
    private static Thread joinedRead(OcrCache cache, String key, String ownText, AtomicReference<Object> ended) throws Exception {
        Thread second = new Thread(() -> {
            try {
                ended.set(cache.get(key, () -> ownText));
            } catch (Exception e) {
                ended.set(e);
            }
        });
        second.start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (second.getState() != Thread.State.WAITING && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(second.getState()).as("joined the first read").isEqualTo(Thread.State.WAITING);
        return second;
    }

    @Test
    void aReadJoinedToOneThatEndsWithAnErrorFailsWithIt() throws Exception {
        OcrCache cache = new OcrCache(1 << 20);
        String key = OcrCache.key("acme", new byte[] {1});
        Object ended = joinedTo(cache, key, () -> {
            throw new AssertionError("reader broke");
        });
        assertThat(ended).isInstanceOfSatisfying(Exception.class, e -> assertThat(e).hasRootCauseInstanceOf(AssertionError.class));
        assertThat(cache.get(key, () -> "fresh").text()).as("the failed read was not cached").isEqualTo("fresh");
    }

    @Test
    void noTextIsEmptyTextForTheReadAndTheOneJoinedToIt() throws Exception {
        OcrCache cache = new OcrCache(1 << 20);
        String key = OcrCache.key("acme", new byte[] {2});
        assertThat(joinedTo(cache, key, () -> null)).isEqualTo("");
        assertThat(cache.get(key, () -> "x").hit()).as("cached as empty text").isTrue();
        assertThat(new OcrCache(0).get(key, () -> null).text()).as("without a cache too").isEmpty();
    }
    /**
     * The read others joined is cancelled (its own document timed out: its thread interrupted, tesseract killed): a
     * joined read is not, and reads the image itself instead of failing with the interrupt.
     */
    @Test
    void aJoinedReadWhoseReadIsCancelledReadsTheImageItself() throws Exception {
        OcrCache cache = new OcrCache(1 << 20);
        String key = OcrCache.key("acme", new byte[] {4});
        CountDownLatch started = new CountDownLatch(1);
        Thread first = new Thread(() -> {
            try {
                cache.get(key, () -> {
                    started.countDown();
                    Thread.sleep(60_000);
                    return "never";
                });
            } catch (Exception expected) {
                // interrupted
            }
        });
        first.start();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicReference<Object> ended = new AtomicReference<>();
        Thread second = joinedRead(cache, key, "read by the second", ended);
        first.interrupt();
        second.join(10_000);
        first.join(10_000);
        assertThat(ended.get()).isInstanceOfSatisfying(OcrCache.Result.class, r -> {
            assertThat(r.text()).isEqualTo("read by the second");
            assertThat(r.hit()).isFalse();
        });
    }
}
