package io.streamrag.ingest.functions;

import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keyed by document: puts the texts read from a document's images back into the document and emits it once all of
 * them arrived, never a version older than one it already emitted.
 *
 * <p>Normally a document's items arrive in order (same upstream subtask, ordered OCR). After a rescale the OCR
 * operator's queued items are split among its subtasks in ranges, so items of one document, even of two of its versions
 * (or a version and a DELETE), may come from different subtasks interleaved in any order. So each version waits for
 * its images on its own (an image that comes before its document waits for the document), a version is complete when
 * it has as many images as it counts, whatever their order, and a version lower than one already emitted is reported
 * {@code stale} on the {@link DeadLetters#OUTCOMES} side output instead of being indexed after the newer one, as the
 * version gate would have. Versions that are equal keep their arrival order (as everywhere in the job: equal versions
 * are re-processed).
 *
 * <p>State holds texts, never image bytes, and does not stay: the highest emitted version is remembered for
 * {@link #idleTimeout} after the document's last item (long enough for items restored into the OCR queue to come
 * through); then a version still waiting for images is dead-lettered ({@code extract/ExtractionTimeout}) and the
 * document's state is cleared.
 */
public class AssembleDocument extends KeyedProcessFunction<String, OcrItem, ExtractedDocument> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AssembleDocument.class);

    /** Idle time after which a document's assembly state goes, unless {@link #idleTimeout(Duration)} says otherwise. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(2);

    /** {@link #received} of a document pending since a release that took images strictly in order: its last image completes it. */
    private static final int IN_ORDER = -1;

    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;

    /** Earlier releases' state: the one document pending per key (moved to {@link #documents} on the key's next item). */
    private transient ValueState<ExtractedDocument> legacyPending;
    /** Earlier releases' state: images put into {@link #legacyPending}; absent in state of the release before that. */
    private transient ValueState<Integer> legacyReceived;
    /** Images that came before their document (after a rescale), of any version. */
    private transient ListState<OcrItem> early;
    /** Versions waiting for images, with the images' texts put in so far. */
    private transient MapState<Long, ExtractedDocument> documents;
    /** Images put into each version of {@link #documents}, or {@link #IN_ORDER}. */
    private transient MapState<Long, Integer> received;
    /** Highest version emitted: a lower one that comes later was overtaken and is stale. */
    private transient ValueState<Long> emitted;
    /** When the idle timer registered for the key fires. */
    private transient ValueState<Long> cleanupAt;
    /** Processing time of the first call after open (or a restore); -1 until then. */
    private transient long startedAt;

    /** Clears a document's state after {@code timeout} without an item for it (not zero or negative). */
    public AssembleDocument idleTimeout(Duration timeout) {
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("The assembler's idle timeout must be positive: " + timeout);
        }
        this.idleTimeout = timeout;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        // Names and types of the first two (and early-images) are those of earlier releases: their savepoints restore.
        legacyPending = getRuntimeContext().getState(new ValueStateDescriptor<>("assembling", TypeInformation.of(ExtractedDocument.class)));
        legacyReceived = getRuntimeContext().getState(new ValueStateDescriptor<>("images-received", Types.INT));
        early = getRuntimeContext().getListState(new ListStateDescriptor<>("early-images", TypeInformation.of(OcrItem.class)));
        documents = getRuntimeContext().getMapState(new MapStateDescriptor<>("assembling-versions", Types.LONG,
                TypeInformation.of(ExtractedDocument.class)));
        received = getRuntimeContext().getMapState(new MapStateDescriptor<>("images-received-by-version", Types.LONG, Types.INT));
        emitted = getRuntimeContext().getState(new ValueStateDescriptor<>("emitted-version", Types.LONG));
        cleanupAt = getRuntimeContext().getState(new ValueStateDescriptor<>("cleanup-at", Types.LONG));
        startedAt = -1;
    }

    @Override
    public void processElement(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        started(ctx);
        adoptLegacy();
        Long last = emitted.value();
        if (item.isDocument()) {
            acceptDocument(item, last, ctx, out);
        } else if (last == null || item.version >= last) {
            acceptImage(item, ctx, out);
        }
        // else: an image of a version overtaken by a newer one, reported stale when its document came or when it comes
        touch(ctx);
    }

    private void acceptDocument(OcrItem item, Long last, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        ExtractedDocument doc = item.document;
        long version = doc.task.version;
        if (last != null && version < last) {
            stale(doc.task, "version " + version + " < " + last + ", which was assembled first (items reordered by a rescale)", ctx);
            return;
        }
        if (item.count == 0) {
            emit(doc, ctx, out); // a DELETE, or a document without images
            return;
        }
        if (documents.contains(version)) {
            // The same version sent twice, both in flight when a rescale split them: their images cannot be told apart.
            // The first one is indexed; this one would write the same chunks.
            stale(doc.task, "version " + version + " is being assembled already (the same version sent twice)", ctx);
            return;
        }
        int count = 0;
        List<OcrItem> others = new ArrayList<>();
        for (OcrItem image : early.get()) {
            if (image.version == version && fits(doc, image)) {
                if (put(doc, image)) {
                    count++;
                }
            } else {
                others.add(image); // another version's, whose document is still to come
            }
        }
        if (count > 0) {
            early.update(others);
        }
        if (count >= doc.images.size()) {
            emit(doc, ctx, out);
        } else {
            documents.put(version, doc);
            received.put(version, count);
        }
    }

    private void acceptImage(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        ExtractedDocument doc = documents.get(item.version);
        if (doc == null || !fits(doc, item)) {
            early.add(item); // its document comes later
            return;
        }
        if (!put(doc, item)) {
            return; // its index was filled already: an image of a copy of the same version
        }
        int before = received.get(item.version);
        boolean complete = before == IN_ORDER ? item.index == item.count - 1 : before + 1 >= doc.images.size();
        if (complete) {
            documents.remove(item.version);
            received.remove(item.version);
            emit(doc, ctx, out);
        } else {
            documents.put(item.version, doc);
            if (before != IN_ORDER) {
                received.put(item.version, before + 1);
            }
        }
    }

    /** Hands {@code doc} on; versions below it still waiting are overtaken: stale, and their early images dropped. */
    private void emit(ExtractedDocument doc, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        long version = doc.task.version;
        out.collect(doc);
        Long last = emitted.value();
        if (last != null && last >= version) {
            return; // an equal version again: nothing below it can still be waiting
        }
        emitted.update(version);
        List<Long> overtaken = new ArrayList<>();
        for (Map.Entry<Long, ExtractedDocument> e : documents.entries()) {
            if (e.getKey() < version) {
                overtaken.add(e.getKey());
                stale(e.getValue().task, "version " + e.getKey() + " < " + version
                        + ", which was assembled first (items reordered by a rescale)", ctx);
            }
        }
        for (Long v : overtaken) {
            documents.remove(v);
            received.remove(v);
        }
        List<OcrItem> kept = new ArrayList<>();
        boolean dropped = false;
        for (OcrItem image : early.get()) {
            if (image.version < version) {
                dropped = true;
            } else {
                kept.add(image);
            }
        }
        if (dropped) {
            early.update(kept);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ExtractedDocument> out) throws Exception {
        Long due = cleanupAt.value();
        if (due == null || due != timestamp) {
            return;
        }
        cleanupAt.clear();
        long now = ctx.timerService().currentProcessingTime();
        long settled = started(ctx) + idleTimeout.toMillis();
        if (now < settled) {
            // Just restored (after downtime the timer is overdue): items restored into the OCR queue may still come.
            register(ctx, settled);
            return;
        }
        for (Map.Entry<Long, ExtractedDocument> e : documents.entries()) {
            ExtractedDocument doc = e.getValue();
            Integer got = received.get(e.getKey());
            String message = "Assembly timed out: " + (got == null || got == IN_ORDER ? "not all" : got) + " of "
                    + doc.images.size() + " images came back from OCR, and no item of the document for " + idleTimeout;
            LOG.warn("Dead-lettering {}: {}", doc.task, message);
            ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, Stage.EXTRACT, DocumentError.EXTRACTION_TIMEOUT, message));
        }
        int orphans = 0;
        for (OcrItem ignored : early.get()) {
            orphans++;
        }
        if (orphans > 0) {
            // Images are not events: their document was dead-lettered or reported earlier, or never came.
            LOG.warn("Dropping {} image(s) of {} whose document did not come within {}", orphans, ctx.getCurrentKey(), idleTimeout);
        }
        documents.clear();
        received.clear();
        early.clear();
        emitted.clear();
    }

    /** Moves a document pending in an earlier release's state into {@link #documents}, so one path completes it. */
    private void adoptLegacy() throws Exception {
        ExtractedDocument doc = legacyPending.value();
        if (doc == null) {
            return;
        }
        Integer count = legacyReceived.value();
        documents.put(doc.task.version, doc);
        received.put(doc.task.version, count == null ? IN_ORDER : count);
        legacyPending.clear();
        legacyReceived.clear();
    }

    /** Moves the key's idle timer to {@link #idleTimeout} from now (rounded up to a second, so items of one second share it). */
    private void touch(Context ctx) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        long at = ((now + idleTimeout.toMillis()) / 1000 + 1) * 1000;
        Long due = cleanupAt.value();
        if (due != null && due == at) {
            return;
        }
        if (due != null) {
            ctx.timerService().deleteProcessingTimeTimer(due);
        }
        register(ctx, at);
    }

    private void register(Context ctx, long at) throws Exception {
        ctx.timerService().registerProcessingTimeTimer(at);
        cleanupAt.update(at);
    }

    private long started(Context ctx) {
        if (startedAt < 0) {
            startedAt = ctx.timerService().currentProcessingTime();
        }
        return startedAt;
    }

    private static void stale(DocumentTask task, String message, Context ctx) {
        LOG.info("Not indexing {}: {}", task, message);
        DocumentOutcome o = DocumentOutcome.of(task, Outcome.STALE);
        o.message = message;
        ctx.output(DeadLetters.OUTCOMES, o);
    }

    /** Whether {@code image} can be one of {@code doc}'s (a copy of the same version may have other images). */
    private static boolean fits(ExtractedDocument doc, OcrItem image) {
        return image.count == doc.images.size() && image.index >= 0 && image.index < doc.images.size();
    }

    /** Puts the image's text in; false when that image had its text already (a copy of the same version's). */
    private static boolean put(ExtractedDocument doc, OcrItem item) {
        PageImage image = doc.images.get(item.index);
        if (image.text != null) {
            return false;
        }
        image.text = item.text;
        if (item.failed) {
            doc.imagesFailed++;
        }
        doc.ocrMillis += item.ocrMillis;
        if (item.limitExceeded != null && doc.limitExceeded == null) {
            doc.limitExceeded = item.limitExceeded;
        }
        return true;
    }
}
