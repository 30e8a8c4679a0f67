package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ImageTextReader;
import io.streamrag.ingest.extract.OcrCache;
import io.streamrag.ingest.extract.OcrPools;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.testing.TestDocuments;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OCR cache: one tesseract run per tenant and image content, shared across documents, never across tenants; an
 * image that timed out is not read afterwards.
 */
class OcrImagesTest {

    /** Tesseract calls made through the reader, across the operator's threads. */
    private static final AtomicInteger CALLS = new AtomicInteger();

    /** The configured reader (real tesseract), counting its calls. */
    static final class CountingOcrImages extends OcrImages {
        private static final long serialVersionUID = 1L;

        CountingOcrImages(Configuration conf) {
            super(OcrSettings.from(conf));
        }

        @Override
        protected ImageTextReader createReader() {
            ImageTextReader real = super.createReader();
            return bytes -> {
                CALLS.incrementAndGet();
                return real.read(bytes);
            };
        }
    }

    @Test
    void sameImageIsReadOncePerTenantAndFailuresAreNotCached() throws Exception {
        byte[] logo = TestDocuments.png(TestDocuments.wordsImage("QUARTZ GASKET", 700, 160, 72));
        byte[] broken = "not an image".getBytes(StandardCharsets.UTF_8);
        Configuration conf = new Configuration();
        conf.set(IngestOptions.OCR_THREADS, 2);
        // Settings of no other test, so this test has its own per-JVM pool and cache.
        conf.set(IngestOptions.OCR_CACHE_SIZE, MemorySize.parse("1234k"));
        CALLS.set(0);
        List<OcrItem> out;
        try (var h = new OneInputStreamOperatorTestHarness<OcrItem, OcrItem>(
                new AsyncWaitOperatorFactory<>(new CountingOcrImages(conf), 60_000, 8, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(OcrItem.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            // Two documents of tenant acme with the same picture (a new version, or a logo), then tenant globex.
            h.processElement(image("acme", "manual-v1", 0, logo), 1);
            h.processElement(image("acme", "manual-v2", 0, logo), 1);
            h.processElement(image("globex", "manual-v1", 0, logo), 1);
            h.processElement(image("acme", "bad", 0, broken), 1);
            h.endInput();
            out = h.extractOutputValues();
        }

        assertThat(out).hasSize(4);
        for (int i = 0; i < 3; i++) {
            assertThat(out.get(i).failed).isFalse();
            assertThat(out.get(i).text).contains("QUARTZ").contains("GASKET");
            assertThat(out.get(i).bytes).isNull();
        }
        assertThat(out.get(3).failed).isTrue();
        // acme's logo once (both documents), globex's once (not shared across tenants), the broken image once.
        assertThat(CALLS.get()).isEqualTo(3);
    }

    @Test
    void failedReadsAreNotCachedAndTheCacheStaysWithinItsSize() throws Exception {
        OcrCache cache = new OcrCache(2_000);
        AtomicInteger reads = new AtomicInteger();
        OcrCache.Reader failing = () -> {
            reads.incrementAndGet();
            throw new java.io.IOException("unreadable");
        };
        String key = OcrCache.key("acme", new byte[] {1, 2, 3});
        for (int i = 0; i < 2; i++) {
            try {
                cache.get(key, failing);
            } catch (java.io.IOException expected) {
                // counted below
            }
        }
        assertThat(reads.get()).isEqualTo(2);
        assertThat(cache.get(key, () -> "text").hit()).isFalse();
        assertThat(cache.get(key, () -> "other").text()).isEqualTo("text");
        // ~300 bytes an entry: a 2,000-byte cache keeps the most recent few, never all 50.
        for (int i = 0; i < 50; i++) {
            cache.get(OcrCache.key("acme", new byte[] {(byte) i}), () -> "some words read from a picture");
        }
        assertThat(cache.size()).isBetween(1, 10);
        assertThat(cache.get(OcrCache.key("acme", new byte[] {49}), () -> "again").hit()).isTrue();
        assertThat(cache.get(OcrCache.key("acme", new byte[] {0}), () -> "again").hit()).isFalse();
    }

    /** Reads that hang until interrupted, counting the reads started and the interrupts. */
    static final class HangingOcrImages extends OcrImages {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger STARTED = new AtomicInteger();
        static final AtomicInteger INTERRUPTED = new AtomicInteger();

        HangingOcrImages(Configuration conf) {
            super(OcrSettings.from(conf));
        }

        @Override
        protected ImageTextReader createReader() {
            return bytes -> {
                STARTED.incrementAndGet();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    INTERRUPTED.incrementAndGet();
                    throw e;
                }
                return "never";
            };
        }
    }

    @Test
    void imagesThatTimedOutAreNotReadLater() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.OCR_THREADS, 1);
        conf.set(IngestOptions.OCR_CACHE_SIZE, MemorySize.parse("1235k")); // a pool of this test's own
        OcrSettings settings = OcrSettings.from(conf);
        OcrPools.Pool pool = OcrPools.acquire(settings.threads(), settings.cacheBytes());
        HangingOcrImages.STARTED.set(0);
        HangingOcrImages.INTERRUPTED.set(0);
        try (var h = new OneInputStreamOperatorTestHarness<OcrItem, OcrItem>(
                new AsyncWaitOperatorFactory<>(new HangingOcrImages(conf), 1_000, 8, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(OcrItem.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 6; i++) {
                h.processElement(image("acme", "slow-" + i, 0, new byte[] {(byte) i}), 1);
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (HangingOcrImages.STARTED.get() == 0 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(pool.executor.getQueue()).as("five reads waiting for the one thread").hasSize(5);

            h.setProcessingTime(1_000); // every image's timeout
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(6).allMatch(o -> o.failed && o.text == null);
            // Nothing queued any more, and every read that had started (the first, and one the thread may have taken
            // from the queue between two of the timeouts) was interrupted (its tesseract killed): the thread is free.
            assertThat(pool.executor.getQueue()).isEmpty();
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while ((pool.executor.getActiveCount() > 0 || HangingOcrImages.INTERRUPTED.get() < HangingOcrImages.STARTED.get())
                    && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(pool.executor.getActiveCount()).isZero();
            assertThat(HangingOcrImages.INTERRUPTED.get()).isEqualTo(HangingOcrImages.STARTED.get()).isPositive();
        } finally {
            OcrPools.release(settings.threads(), settings.cacheBytes());
        }
    }

    /** Reads at once, on a clock the test sets. */
    static final class ClockedOcrImages extends OcrImages {
        private static final long serialVersionUID = 1L;
        final AtomicLong now = new AtomicLong();

        ClockedOcrImages(Configuration conf, Duration documentTimeout) {
            super(OcrSettings.from(conf), documentTimeout);
        }

        @Override
        protected ImageTextReader createReader() {
            return bytes -> "text";
        }

        @Override
        long nowMs() {
            return now.get();
        }
    }

    /**
     * A rescale redistributes the async operator's queued images: a document's last image may go to another subtask, and
     * its budget, taken out only by that image, stayed in this subtask's map until the task restarted, one per such
     * document. A budget no image has come for in ingest.ocr.document-timeout is dropped when the next document opens one.
     */
    @Test
    void aBudgetWhoseLastImageWentElsewhereIsDroppedAfterTheDocumentTimeout() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.OCR_THREADS, 1);
        conf.set(IngestOptions.OCR_CACHE_SIZE, MemorySize.parse("1236k")); // a pool of this test's own
        ClockedOcrImages ocr = new ClockedOcrImages(conf, Duration.ofMinutes(30));
        long timeout = Duration.ofMinutes(30).toMillis();
        try (var h = new OneInputStreamOperatorTestHarness<OcrItem, OcrItem>(
                new AsyncWaitOperatorFactory<>(ocr, 60_000, 8, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(OcrItem.class).createSerializer(new SerializerConfigImpl()))) {
            h.open();
            OcrItem split = image("acme", "split", 0, new byte[] {1});
            split.count = 4;
            for (int i = 0; i < 3; i++) { // images 0..2 of 4 here; image 3 went to another subtask
                OcrItem item = split.image(i);
                item.bytes = new byte[] {(byte) i};
                h.processElement(item, 1);
            }
            OcrItem slow = image("acme", "slow", 0, new byte[] {9});
            slow.count = 3;
            h.processElement(slow, 1);
            assertThat(ocr.holdsBudget(split)).isTrue();

            ocr.now.set(timeout - 1);
            OcrItem slowNext = slow.image(1); // an image of a document still coming keeps its budget fresh
            slowNext.bytes = new byte[] {10};
            h.processElement(slowNext, 1);
            ocr.now.set(timeout + 1); // past the timeout since split's last image here
            OcrItem next = image("acme", "next", 0, new byte[] {2});
            next.count = 2;
            h.processElement(next, 1); // a new document opens its budget, and sweeps
            assertThat(ocr.holdsBudget(split)).isFalse();
            assertThat(ocr.holdsBudget(slow)).isTrue();
            assertThat(ocr.holdsBudget(next)).isTrue();
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(6).allMatch(o -> "text".equals(o.text));
        }
    }

    @Test
    void defaultsUseEveryCore() {
        Configuration conf = new Configuration();
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(OcrSettings.from(conf).threads()).isEqualTo(cores);
        assertThat(OcrSettings.from(conf).capacity()).isEqualTo(Math.max(8, 4 * cores));
        conf.set(IngestOptions.OCR_THREADS, 3);
        assertThat(OcrSettings.from(conf).capacity()).isEqualTo(12);
    }

    private static OcrItem image(String tenant, String documentId, int index, byte[] bytes) {
        OcrItem item = new OcrItem();
        item.tenant = tenant;
        item.documentId = documentId;
        item.documentKey = tenant + ":" + documentId;
        item.version = 1;
        item.index = index;
        item.count = 1;
        item.bytes = bytes;
        return item;
    }
}
