package io.streamrag.ingest.functions;

import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ImageTextReader;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.metrics.OcrMetrics;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The OCR operator in Flink's harness: ordered output, its timeout, its checkpointed queue, and its per-document budget. */
class OcrImagesOperatorTest {

    /** The reader the next opened operator uses (the function is copied into the harness, so it is looked up here). */
    private static volatile ImageTextReader reader;

    /** OcrImages with the reader this test chooses. */
    static final class ControlledOcrImages extends OcrImages {
        private static final long serialVersionUID = 1L;

        ControlledOcrImages(Configuration conf) {
            super(OcrSettings.from(conf));
        }

        @Override
        protected ImageTextReader createReader() {
            ImageTextReader r = reader;
            return r::read;
        }
    }

    private HarnessMetrics metrics;

    private OneInputStreamOperatorTestHarness<OcrItem, OcrItem> harness(Configuration conf, long timeoutMs) throws Exception {
        metrics = new HarnessMetrics();
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(new ControlledOcrImages(conf), timeoutMs, 8, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(OcrItem.class).createSerializer(new SerializerConfigImpl()),
                metrics.environment().build());
    }

    /** Settings no other test uses, so each test has its own per-JVM OCR pool; no cache, so every image is read. */
    private static Configuration conf(int threads, String uniqueCacheSize) {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.OCR_THREADS, threads);
        conf.set(IngestOptions.OCR_CACHE_SIZE, MemorySize.parse(uniqueCacheSize));
        return conf;
    }

    private long count(String name) {
        return metrics.count(name);
    }

    /** Waits until {@code n} reads have fully finished (their reading time, recorded last, is in the histogram). */
    private void awaitReadsFinished(int n) throws InterruptedException {
        Histogram readingTime = (Histogram) metrics.get(OcrMetrics.OCR_TIME_MS.name());
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); readingTime.getCount() < n && System.nanoTime() < until; ) {
            Thread.sleep(5);
        }
        assertThat(readingTime.getCount()).isEqualTo(n);
    }

    /** A new operator restored from {@code state}, whose reader prefixes "restored ": what it emits to the end of input. */
    private List<OcrItem> restoreAndDrain(OperatorSubtaskState state, Configuration conf) throws Exception {
        reader = bytes -> "restored " + new String(bytes, StandardCharsets.UTF_8);
        try (var h = harness(conf, 60_000)) {
            h.initializeState(state);
            h.open();
            h.endInput();
            return h.extractOutputValues();
        }
    }

    @Test
    void countsEveryImageReadOnThePoolsThreads() throws Exception {
        // The pool's two threads finish each pair of reads together and count at once: plain counters lost
        // increments (seen in CI as 1 image read of 2).
        CyclicBarrier together = new CyclicBarrier(2);
        reader = bytes -> {
            together.await(10, TimeUnit.SECONDS);
            return "text of " + new String(bytes, StandardCharsets.UTF_8);
        };
        int images = 2_000; // even: every read has a partner
        try (var h = harness(conf(2, "1011k"), 60_000)) {
            h.open();
            h.processElement(document("acme", "big", images), 1);
            for (int i = 0; i < images; i++) {
                h.processElement(image("acme", "big", i, images, "image " + i), 1);
            }
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(images + 1);
        }
        assertThat(count(OcrMetrics.IMAGES_READ.name())).isEqualTo(images);
        assertThat(count(OcrMetrics.CACHE_MISSES.name())).isEqualTo(images);
        assertThat(((Histogram) metrics.get(OcrMetrics.OCR_TIME_MS.name())).getCount()).isEqualTo(images);
        // A lost increment is rare enough to pass a run by luck; what the pool's threads count must be thread-safe.
        for (var spec : List.of(OcrMetrics.IMAGES_READ, OcrMetrics.IMAGES_FAILED, OcrMetrics.CACHE_HITS, OcrMetrics.CACHE_MISSES)) {
            assertThat(metrics.get(spec.name())).as(spec.name()).isInstanceOf(ThreadSafeSimpleCounter.class);
        }
    }

    @Test
    void documentsPassThroughAndImagesKeepTheirOrderWhateverOrderTheyAreReadIn() throws Exception {
        CountDownLatch fastRead = new CountDownLatch(1);
        reader = bytes -> {
            String name = new String(bytes, StandardCharsets.UTF_8);
            if (name.equals("slow")) {
                // Finishes only after the image behind it: the ordered output must still keep it first.
                assertThat(fastRead.await(30, TimeUnit.SECONDS)).isTrue();
            } else {
                fastRead.countDown();
            }
            return "text of " + name;
        };
        List<OcrItem> out;
        try (var h = harness(conf(2, "1001k"), 60_000)) {
            h.open();
            h.processElement(document("acme", "manual", 2), 1);
            h.processElement(image("acme", "manual", 0, 2, "slow"), 1);
            h.processElement(image("acme", "manual", 1, 2, "fast"), 1);
            h.endInput();
            out = h.extractOutputValues();
        }
        assertThat(out).hasSize(3);
        assertThat(out.get(0).isDocument()).isTrue();
        assertThat(out.subList(1, 3)).extracting(i -> i.index + ":" + i.text).containsExactly("0:text of slow", "1:text of fast");
        assertThat(out.subList(1, 3)).allSatisfy(i -> assertThat(i.bytes).isNull()); // no pixels downstream
        assertThat(count(OcrMetrics.IMAGES_READ.name())).isEqualTo(2);
        assertThat(count(OcrMetrics.CACHE_MISSES.name())).isEqualTo(2);
    }

    @Test
    void anImageThatOutlivesTheOperatorTimeoutComesOutFailedAndTheDocumentGoesOn() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        reader = bytes -> {
            release.await(30, TimeUnit.SECONDS);
            return "too late";
        };
        List<OcrItem> out;
        try (var h = harness(conf(1, "1002k"), 1_000)) {
            h.open();
            h.processElement(image("acme", "manual", 0, 1, "stuck"), 1);
            h.setProcessingTime(1_001); // the operator's timeout timer fires
            h.endInput(); // returns once the queue is empty: the timed-out image is out although its read still runs
            out = h.extractOutputValues();
            assertThat(count(OcrMetrics.DOCUMENTS_TIMED_OUT.name())).isEqualTo(1);
        } finally {
            release.countDown();
        }
        assertThat(out).hasSize(1);
        OcrItem timedOut = out.get(0);
        assertThat(timedOut.failed).isTrue();
        assertThat(timedOut.text).isNull();
        assertThat(timedOut.bytes).isNull();
        assertThat(timedOut.documentKey).isEqualTo("acme:manual");
        assertThat(timedOut.count).isEqualTo(1);
    }

    @Test
    void imagesInFlightAtACheckpointAreReadAfterARestore() throws Exception {
        CountDownLatch snapshotTaken = new CountDownLatch(1);
        reader = bytes -> {
            // The first attempt "crashes" after the checkpoint: its result must not be what counts.
            snapshotTaken.await(30, TimeUnit.SECONDS);
            throw new IllegalStateException("task failed");
        };
        OperatorSubtaskState state;
        try (var h = harness(conf(1, "1003k"), 60_000)) {
            h.open();
            h.processElement(document("acme", "manual", 1), 1);
            h.processElement(image("acme", "manual", 0, 1, "picture"), 1);
            state = h.snapshot(1L, 1L);
            snapshotTaken.countDown();
        }

        List<OcrItem> out = restoreAndDrain(state, conf(1, "1003k"));
        // The checkpoint held the document and the image with its bytes: both come out, the image read now.
        assertThat(out).hasSize(2);
        assertThat(out.get(0).isDocument()).isTrue();
        assertThat(out.get(1).text).isEqualTo("restored picture");
        assertThat(out.get(1).failed).isFalse();
    }

    @Test
    void anImageReadBeforeACheckpointButStillQueuedIsReadAgainAfterARestore() throws Exception {
        // Image 1 is read while image 0 still runs, so it waits in the ordered queue, and in the checkpoint, with its
        // input as it came: the reader's thread must not have changed it (it once dropped the bytes, and a restore then
        // counted the image failed).
        CountDownLatch snapshotTaken = new CountDownLatch(1);
        reader = bytes -> {
            String name = new String(bytes, StandardCharsets.UTF_8);
            if (name.equals("page-0")) {
                snapshotTaken.await(30, TimeUnit.SECONDS);
                throw new IllegalStateException("task failed"); // the first run "crashes" after the checkpoint
            }
            return "first " + name;
        };
        OperatorSubtaskState state;
        try (var h = harness(conf(2, "1005k"), 60_000)) {
            h.open();
            h.processElement(image("acme", "manual", 0, 2, "page-0"), 1);
            h.processElement(image("acme", "manual", 1, 2, "page-1"), 1);
            awaitReadsFinished(1); // image 1's
            state = h.snapshot(1L, 1L);
            snapshotTaken.countDown();
        }

        List<OcrItem> out = restoreAndDrain(state, conf(2, "1005k"));
        assertThat(out).extracting(i -> i.index + ":" + i.text + ":" + i.failed)
                .containsExactly("0:restored page-0:false", "1:restored page-1:false");
        assertThat(count(OcrMetrics.IMAGES_FAILED.name())).isZero();
    }

    @Test
    void aDocumentsBudgetIsForgottenWhateverOrderItsImagesFinishIn() throws Exception {
        // The last image finishes first; the budget must still be gone once the first one has finished too, so a
        // replay of the same version is read instead of being turned away as over budget.
        CountDownLatch lastDone = new CountDownLatch(1);
        reader = bytes -> {
            String name = new String(bytes, StandardCharsets.UTF_8);
            if (name.equals("page-0")) {
                assertThat(lastDone.await(30, TimeUnit.SECONDS)).isTrue();
            }
            Thread.sleep(30); // the reading time that uses up the 1 ms budget
            if (name.equals("page-1")) {
                lastDone.countDown();
            }
            return "words of " + name;
        };
        Configuration conf = conf(2, "1006k");
        conf.set(IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT, Duration.ofMillis(1));
        List<OcrItem> out;
        try (var h = harness(conf, 60_000)) {
            h.open();
            h.processElement(image("acme", "manual", 0, 2, "page-0"), 1);
            h.processElement(image("acme", "manual", 1, 2, "page-1"), 1);
            awaitReadsFinished(2);
            h.processElement(image("acme", "manual", 0, 1, "again"), 1); // the same document and version again
            h.endInput();
            out = h.extractOutputValues();
        }
        assertThat(out).extracting(i -> i.text).containsExactly("words of page-0", "words of page-1", "words of again");
        assertThat(out).allSatisfy(i -> assertThat(i.limitExceeded).isNull());
    }

    @Test
    void aDocumentOverItsOcrBudgetSkipsItsRemainingImagesAndTheBudgetIsForgottenAfterItsLastImage() throws Exception {
        reader = bytes -> {
            Thread.sleep(30); // the reading time that uses up the 1 ms budget
            return "words";
        };
        Configuration conf = conf(1, "1004k"); // one reader thread: images are read one after another
        conf.set(IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT, Duration.ofMillis(1));
        List<OcrItem> out;
        try (var h = harness(conf, 60_000)) {
            h.open();
            for (int i = 0; i < 3; i++) {
                h.processElement(image("acme", "manual", i, 3, "page-" + i), 1);
            }
            // The same document and version again (a replay): its budget starts from zero.
            h.processElement(image("acme", "manual", 0, 1, "again"), 1);
            h.endInput();
            out = h.extractOutputValues();
        }
        assertThat(out).extracting(i -> i.text).containsExactly("words", null, null, "words");
        assertThat(out.get(0).limitExceeded).isNull();
        assertThat(out.get(1).limitExceeded).contains(IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT.key());
        assertThat(out.get(2).limitExceeded).isNotNull();
        assertThat(out.get(3).limitExceeded).isNull();
        assertThat(count(OcrMetrics.IMAGES_READ.name())).isEqualTo(2);
    }

    private static OcrItem document(String tenant, String documentId, int images) {
        OcrItem item = new OcrItem();
        item.document = new ExtractedDocument();
        item.tenant = tenant;
        item.documentId = documentId;
        item.documentKey = tenant + ":" + documentId;
        item.version = 1;
        item.count = images;
        return item;
    }

    private static OcrItem image(String tenant, String documentId, int index, int count, String bytes) {
        OcrItem item = new OcrItem();
        item.tenant = tenant;
        item.documentId = documentId;
        item.documentKey = tenant + ":" + documentId;
        item.version = 1;
        item.index = index;
        item.count = count;
        item.bytes = bytes.getBytes(StandardCharsets.UTF_8);
        return item;
    }
}
