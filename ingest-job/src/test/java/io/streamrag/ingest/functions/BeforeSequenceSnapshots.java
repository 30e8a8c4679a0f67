package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.streamrag.ingest.functions.AssembleDocumentTest.document;
import static io.streamrag.ingest.functions.AssembleDocumentTest.image;

/**
 * Writes the snapshots in {@code src/test/resources/state-before-sequence/} that {@link BeforeSequenceRestoreTest}
 * restores: state of three operators holding {@link DocumentTask}s and {@link OcrItem}s as the release before
 * {@code DocumentTask.sequence} wrote it. The committed files were written by running this class on that release
 * (commit 509b3ce, {@code mvn -o test-compile} then {@code java -cp ... BeforeSequenceSnapshots <dir>}); run on a later
 * release it would write that release's layout, so do not regenerate them.
 */
final class BeforeSequenceSnapshots {

    static final String DIR = "state-before-sequence/";

    private BeforeSequenceSnapshots() {}

    static DocumentTask task(String tenant, String id, long version, Op op) {
        DocumentTask t = new DocumentTask();
        t.tenant = tenant;
        t.documentId = id;
        t.version = version;
        t.op = op.name();
        t.contentType = ContentTypes.PDF;
        t.uri = "file:///docs/" + id + ".pdf";
        t.title = "Title of " + id;
        t.eventTime = 1_000 + version;
        t.eventJson = "{\"documentId\":\"" + id + "\"}";
        t.previousVersion = version - 1;
        t.previousVersionKnown = true;
        return t;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> assembler() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new AssembleDocument().idleTimeout(Duration.ofMinutes(1))), i -> i.documentKey, Types.STRING);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> admission() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new TenantAdmission(new TenantRate(1, 1, 3)).operator(),
                t -> t.tenant, Types.STRING);
    }

    /** An async function whose results never come: what it was given stays in the operator's queue, and checkpoint. */
    static final class Never extends RichAsyncFunction<OcrItem, OcrItem> {
        private static final long serialVersionUID = 1L;

        @Override
        public void asyncInvoke(OcrItem input, ResultFuture<OcrItem> resultFuture) {}
    }

    static OneInputStreamOperatorTestHarness<OcrItem, OcrItem> ocr(RichAsyncFunction<OcrItem, OcrItem> function) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, 600_000, 8, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(OcrItem.class).createSerializer(new SerializerConfigImpl()));
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        try (var h = assembler()) {
            h.open();
            // a: v5 waiting for its second image.
            OcrItem a = document("a", 5, 2);
            h.processElement(a, 1);
            h.processElement(image(a, 0, "zero"), 1);
            // b: v3 handed on; an image of v4 came before its document.
            OcrItem b3 = document("b", 3, 1);
            h.processElement(b3, 1);
            h.processElement(image(b3, 0, "b3"), 1);
            h.processElement(image(document("b", 4, 2), 1, "b4-one"), 1);
            // c: v5 handed on.
            h.processElement(document("c", 5, 0), 1);
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 1), dir.resolve("assemble.snapshot").toString());
        }
        try (var h = admission()) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(task("t", "d1", 1, Op.UPSERT), 1); // passes
            DocumentTask waiting = task("t", "d2", 7, Op.UPSERT);
            waiting.contentBase64 = "aGVsbG8=";
            h.processElement(waiting, 2); // waits for the rate
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 1), dir.resolve("tenant-admission.snapshot").toString());
        }
        try (var h = ocr(new Never())) {
            h.open();
            OcrItem m = document("manual", 2, 1);
            h.processElement(m, 1);
            OcrItem picture = m.image(0);
            picture.bytes = "picture".getBytes(StandardCharsets.UTF_8);
            h.processElement(picture, 1);
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 1), dir.resolve("ocr.snapshot").toString());
        }
    }
}
