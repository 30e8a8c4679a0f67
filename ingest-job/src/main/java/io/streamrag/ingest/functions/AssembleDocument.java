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
import org.apache.flink.api.java.tuple.Tuple2;
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
 * them arrived, never an event older than one it already emitted.
 *
 * <p>Normally a document's items arrive in order (same upstream subtask, ordered OCR). After a rescale the OCR
 * operator's queued items are split among its subtasks in ranges, so items of one document, even of two of its events
 * (two versions, a version and a DELETE, or two events of the same version) may come from different subtasks
 * interleaved in any order. So each event waits for its images on its own (an image that comes before its document
 * waits for the document), an event is complete when it has as many images as it counts, whatever their order, and an
 * event lower than one already emitted is reported {@code stale} on the {@link DeadLetters#OUTCOMES} side output instead
 * of being indexed after the newer one, as the version gate would have. Emitting an event makes the events below it
 * that still wait stale at once, and drops their early images.
 *
 * <p>Events are ordered by (version, {@link DocumentTask#sequence}): the version gate numbers each document's events,
 * so of two events of the same version (an UPSERT v5 and the unversioned DELETE after it, which the gate gives v5; or
 * the same version sent twice with different content) the later one wins even if a rescale let the earlier one complete
 * after it. Sequence 0 is an event that passed the gate of an earlier release and was restored from its savepoint: it
 * comes before every numbered event of its version (those passed the gate after the restore), and two of them keep
 * their arrival order, as all equal versions did before the gate numbered them. Two events of one version and the
 * same sequence (only both 0, in practice) cannot have their images told apart: the first one is assembled and the
 * second reported stale.
 *
 * <p>State holds texts, never image bytes, and does not stay: the highest emitted (version, sequence) is remembered for
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

    /** An event's place in its document's order: (version, sequence). */
    private static final TypeInformation<Tuple2<Long, Long>> EVENT = Types.TUPLE(Types.LONG, Types.LONG);

    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;

    /** Earlier releases' state: the one document pending per key (moved to {@link #documents} on the key's next item). */
    private transient ValueState<ExtractedDocument> legacyPending;
    /** Earlier releases' state: images put into {@link #legacyPending}; absent in state of the release before that. */
    private transient ValueState<Integer> legacyReceived;
    /** The previous release's state: documents waiting, by version alone (moved to {@link #documents} on the key's next item). */
    private transient MapState<Long, ExtractedDocument> legacyByVersion;
    /** The previous release's state: images put into each version of {@link #legacyByVersion}, or {@link #IN_ORDER}. */
    private transient MapState<Long, Integer> legacyReceivedByVersion;
    /** Images that came before their document (after a rescale), of any event. */
    private transient ListState<OcrItem> early;
    /** Events waiting for images, by (version, sequence), with the images' texts put in so far. */
    private transient MapState<Tuple2<Long, Long>, ExtractedDocument> documents;
    /** Images put into each event of {@link #documents}, or {@link #IN_ORDER}. */
    private transient MapState<Tuple2<Long, Long>, Integer> received;
    /** Highest version emitted: a lower one that comes later was overtaken and is stale. */
    private transient ValueState<Long> emitted;
    /** Highest sequence emitted of version {@link #emitted} (0 or absent: unknown): a lower one of that version is stale. */
    private transient ValueState<Long> emittedSequence;
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
        // Names and types of the first four (and early-images, emitted-version) are those of earlier releases: their
        // savepoints restore. OcrItem and DocumentTask gained a sequence field since (a compatible POJO change: 0 there).
        legacyPending = getRuntimeContext().getState(new ValueStateDescriptor<>("assembling", TypeInformation.of(ExtractedDocument.class)));
        legacyReceived = getRuntimeContext().getState(new ValueStateDescriptor<>("images-received", Types.INT));
        legacyByVersion = getRuntimeContext().getMapState(new MapStateDescriptor<>("assembling-versions", Types.LONG,
                TypeInformation.of(ExtractedDocument.class)));
        legacyReceivedByVersion = getRuntimeContext().getMapState(new MapStateDescriptor<>("images-received-by-version", Types.LONG, Types.INT));
        early = getRuntimeContext().getListState(new ListStateDescriptor<>("early-images", TypeInformation.of(OcrItem.class)));
        documents = getRuntimeContext().getMapState(new MapStateDescriptor<>("assembling-events", EVENT,
                TypeInformation.of(ExtractedDocument.class)));
        received = getRuntimeContext().getMapState(new MapStateDescriptor<>("images-received-by-event", EVENT, Types.INT));
        emitted = getRuntimeContext().getState(new ValueStateDescriptor<>("emitted-version", Types.LONG));
        emittedSequence = getRuntimeContext().getState(new ValueStateDescriptor<>("emitted-sequence", Types.LONG));
        cleanupAt = getRuntimeContext().getState(new ValueStateDescriptor<>("cleanup-at", Types.LONG));
        startedAt = -1;
    }

    @Override
    public void processElement(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        started(ctx);
        adoptLegacy();
        Long last = emitted.value();
        long lastSequence = last == null ? 0 : orZero(emittedSequence.value());
        if (item.isDocument()) {
            acceptDocument(item, last, lastSequence, ctx, out);
        } else if (last == null || !below(item.version, item.sequence, last, lastSequence)) {
            acceptImage(item, ctx, out);
        }
        // else: an image of an event overtaken by a newer one, reported stale when its document came or when it comes
        touch(ctx);
    }

    private void acceptDocument(OcrItem item, Long last, long lastSequence, Context ctx, Collector<ExtractedDocument> out)
            throws Exception {
        ExtractedDocument doc = item.document;
        long version = doc.task.version;
        long sequence = doc.task.sequence;
        if (last != null && below(version, sequence, last, lastSequence)) {
            stale(doc.task, overtaken(version, sequence, last, lastSequence), ctx);
            return;
        }
        if (item.count == 0) {
            emit(doc, ctx, out); // a DELETE, or a document without images
            return;
        }
        Tuple2<Long, Long> event = Tuple2.of(version, sequence);
        if (documents.contains(event)) {
            // The same version sent twice (both of unknown sequence), both in flight when a rescale split them: their
            // images cannot be told apart. The first one is indexed; this one would write the same chunks.
            stale(doc.task, "version " + version + " is being assembled already (the same version sent twice)", ctx);
            return;
        }
        int count = 0;
        List<OcrItem> others = new ArrayList<>();
        for (OcrItem image : early.get()) {
            if (image.version == version && image.sequence == sequence && fits(doc, image)) {
                if (put(doc, image)) {
                    count++;
                }
            } else {
                others.add(image); // another event's, whose document is still to come
            }
        }
        if (count > 0) {
            early.update(others);
        }
        if (count >= doc.images.size()) {
            emit(doc, ctx, out);
        } else {
            documents.put(event, doc);
            received.put(event, count);
        }
    }

    private void acceptImage(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        Tuple2<Long, Long> event = Tuple2.of(item.version, item.sequence);
        ExtractedDocument doc = documents.get(event);
        if (doc == null || !fits(doc, item)) {
            early.add(item); // its document comes later
            return;
        }
        if (!put(doc, item)) {
            return; // its index was filled already: an image of a copy of the same version
        }
        int before = received.get(event);
        boolean complete = before == IN_ORDER ? item.index == item.count - 1 : before + 1 >= doc.images.size();
        if (complete) {
            documents.remove(event);
            received.remove(event);
            emit(doc, ctx, out);
        } else {
            documents.put(event, doc);
            if (before != IN_ORDER) {
                received.put(event, before + 1);
            }
        }
    }

    /**
     * Hands {@code doc} on; events below it still waiting (lower versions, and lower sequences of its version) are
     * overtaken: stale, and their early images dropped.
     */
    private void emit(ExtractedDocument doc, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        long version = doc.task.version;
        long sequence = doc.task.sequence;
        out.collect(doc);
        Long last = emitted.value();
        if (last == null || version > last) {
            emitted.update(version);
            emittedSequence.update(sequence);
        } else if (version == last && sequence > orZero(emittedSequence.value())) {
            emittedSequence.update(sequence);
        }
        List<Tuple2<Long, Long>> overtaken = new ArrayList<>();
        for (Map.Entry<Tuple2<Long, Long>, ExtractedDocument> e : documents.entries()) {
            Tuple2<Long, Long> event = e.getKey();
            if (below(event.f0, event.f1, version, sequence)) {
                overtaken.add(event);
                stale(e.getValue().task, overtaken(event.f0, event.f1, version, sequence), ctx);
            }
        }
        for (Tuple2<Long, Long> event : overtaken) {
            documents.remove(event);
            received.remove(event);
        }
        List<OcrItem> kept = new ArrayList<>();
        boolean dropped = false;
        for (OcrItem image : early.get()) {
            if (below(image.version, image.sequence, version, sequence)) {
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
        adoptLegacy(); // a key restored from the previous release's state that has had no item since
        for (Map.Entry<Tuple2<Long, Long>, ExtractedDocument> e : documents.entries()) {
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
        emittedSequence.clear();
    }

    /** Moves documents pending in earlier releases' state into {@link #documents}, so one path completes them. */
    private void adoptLegacy() throws Exception {
        ExtractedDocument doc = legacyPending.value();
        if (doc != null) {
            Integer count = legacyReceived.value();
            adopt(doc, count == null ? IN_ORDER : count);
            legacyPending.clear();
            legacyReceived.clear();
        }
        if (!legacyByVersion.isEmpty()) {
            for (Map.Entry<Long, ExtractedDocument> e : legacyByVersion.entries()) {
                Integer count = legacyReceivedByVersion.get(e.getKey());
                adopt(e.getValue(), count == null ? IN_ORDER : count);
            }
            legacyByVersion.clear();
            legacyReceivedByVersion.clear();
        }
    }

    /** A document of an earlier release's state: its sequence is 0 (unknown), as the gate had not numbered it. */
    private void adopt(ExtractedDocument doc, int count) throws Exception {
        Tuple2<Long, Long> event = Tuple2.of(doc.task.version, doc.task.sequence);
        if (!documents.contains(event)) {
            documents.put(event, doc);
            received.put(event, count);
        }
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

    /**
     * Whether the event (version, sequence) comes before (byVersion, bySequence): a lower version, or the same version
     * and a lower sequence. 0 is an event that passed the gate of a release before sequences, so before every numbered
     * one; two of them keep their arrival order.
     */
    static boolean below(long version, long sequence, long byVersion, long bySequence) {
        return version < byVersion || (version == byVersion && bySequence > 0 && sequence < bySequence);
    }

    /** The stale outcome's message of an event overtaken by (byVersion, bySequence), naming both. */
    private static String overtaken(long version, long sequence, long byVersion, long bySequence) {
        if (version < byVersion) {
            return "version " + version + " < " + byVersion + ", which was assembled first (items reordered by a rescale)";
        }
        return "version " + version + " (sequence " + sequence + ") < " + byVersion + " (sequence " + bySequence
                + "), a later event of the same version, which was assembled first (items reordered by a rescale)";
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
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
