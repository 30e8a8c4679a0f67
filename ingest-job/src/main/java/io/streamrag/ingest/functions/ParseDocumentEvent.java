package io.streamrag.ingest.functions;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.Identity;
import io.streamrag.common.security.Secrets;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.metrics.ParseMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.RawDocument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses and validates a raw event. Required: {@code documentId}, {@code tenant}, and for UPSERTs {@code uri} or
 * {@code contentBase64}. The {@code documentId} is kept exactly as sent (one holding only whitespace counts as missing). A missing {@code version} defaults to the Kafka record timestamp for UPSERTs (so re-sending
 * a changed file without a version replaces the old one); a DELETE without a version deletes whatever is indexed.
 */
public class ParseDocumentEvent extends ProcessFunction<RawDocument, DocumentTask> {
    private static final long serialVersionUID = 1L;

    /** Inline content, or any other text value, longer than this is replaced by a marker in dead letters. */
    static final int ELIDE_ABOVE = 1024;
    /** An event still longer than this once its long values are elided is replaced by a marker in dead letters. */
    static final int ELIDE_EVENT_ABOVE = 64 * 1024;
    /** Longest uri and title of an event, in characters. */
    static final int MAX_URI_CHARS = 8192;
    static final int MAX_TITLE_CHARS = 1024;

    private transient ParseMetrics metrics;

    @Override
    public void open(OpenContext openContext) {
        metrics = new ParseMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(RawDocument raw, Context ctx, Collector<DocumentTask> out) {
        metrics.get(ParseMetrics.DOCUMENTS_IN).inc();
        JsonNode tree;
        try {
            tree = Json.tree(raw.value == null ? new byte[0] : raw.value);
            if (tree == null || !tree.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
        } catch (Exception e) {
            reject(ctx, raw, null, Stage.PARSE, DocumentError.INVALID_JSON, "Event is not a JSON object: " + e.getMessage(),
                    rawText(raw.value));
            return;
        }
        String eventJson = Json.toString(elide(tree.deepCopy()));
        DocumentEvent event;
        try {
            event = Json.MAPPER.treeToValue(tree, DocumentEvent.class);
        } catch (Exception e) {
            reject(ctx, raw, tree, Stage.VALIDATE, DocumentError.INVALID_EVENT, firstLine(e.getMessage()), eventJson);
            return;
        }
        DocumentTask task = new DocumentTask();
        // The id is the document's identity, kept as sent: stripping made " a.txt", "a.txt " and "a.txt" one document.
        task.documentId = event.documentId == null || event.documentId.isBlank() ? null : event.documentId;
        task.tenant = blankToNull(event.tenant);
        task.op = event.opOrDefault().name();
        task.contentType = ContentTypes.normalise(event.contentType);
        task.uri = blankToNull(event.uri);
        task.contentBase64 = blankToNull(event.contentBase64);
        task.title = blankToNull(event.title);
        task.eventTime = raw.timestamp > 0 ? raw.timestamp : System.currentTimeMillis();
        task.eventJson = eventJson;
        if (event.version != null) {
            task.version = event.version;
        } else {
            task.versionDefaulted = true;
            task.version = task.isDelete() ? 0 : task.eventTime;
        }
        Problem problem = validate(task, event);
        if (problem != null) {
            FailedDocument f = DeadLetters.of(task, Stage.VALIDATE, problem.error(), problem.message());
            f.version = event.version;
            metrics.get(ParseMetrics.DOCUMENTS_INVALID).inc();
            ctx.output(DeadLetters.TAG, f);
            return;
        }
        out.collect(task);
    }

    /** What makes an event invalid. */
    record Problem(DocumentError error, String message) {}

    /** Returns what makes the event invalid, or null when it is valid. */
    static Problem validate(DocumentTask task, DocumentEvent event) {
        if (task.documentId == null) {
            return new Problem(DocumentError.MISSING_FIELD, event.documentId == null || event.documentId.isEmpty()
                    ? "documentId is required" : "documentId is required (it holds only whitespace)");
        }
        if (task.tenant == null) {
            return new Problem(DocumentError.MISSING_FIELD, "tenant is required");
        }
        // Ids become Kafka keys and part of each chunk's OpenSearch _id (512 bytes at most): too long, one failed the
        // whole bulk request and the job with it. They are quoted in prompts and logs: no control characters.
        String tooLong = Identity.unfit("documentId", task.documentId, Identity.MAX_ID_BYTES);
        if (tooLong == null) {
            tooLong = Identity.unfit("tenant", task.tenant, Identity.MAX_TENANT_BYTES);
        }
        if (tooLong == null && task.uri != null && task.uri.length() > MAX_URI_CHARS) {
            tooLong = "uri is " + task.uri.length() + " characters long; at most " + MAX_URI_CHARS + " are allowed";
        }
        if (tooLong == null && task.title != null && task.title.length() > MAX_TITLE_CHARS) {
            tooLong = "title is " + task.title.length() + " characters long; at most " + MAX_TITLE_CHARS + " are allowed";
        }
        if (tooLong != null) {
            return new Problem(DocumentError.INVALID_FIELD, tooLong);
        }
        if (event.version != null && event.version < 0) {
            return new Problem(DocumentError.INVALID_FIELD, "version must not be negative");
        }
        if (task.isDelete()) {
            return null;
        }
        if (task.uri == null && task.contentBase64 == null) {
            return new Problem(DocumentError.MISSING_CONTENT, "an UPSERT needs uri or contentBase64");
        }
        if (task.contentType != null && !ContentTypes.isSupported(task.contentType)) {
            return new Problem(DocumentError.UNSUPPORTED_CONTENT_TYPE, Identity.clip(task.contentType, 128) + " is not supported");
        }
        return null;
    }

    private void reject(Context ctx, RawDocument raw, JsonNode tree, Stage stage, DocumentError error, String message, String eventJson) {
        FailedDocument f = new FailedDocument();
        f.documentId = Identity.clipId(tree != null && tree.hasNonNull("documentId") ? tree.get("documentId").asText() : raw.key);
        f.tenant = Identity.clipId(tree != null && tree.hasNonNull("tenant") ? tree.get("tenant").asText() : null);
        f.version = tree != null && tree.path("version").canConvertToLong() ? tree.get("version").asLong() : null;
        f.stage = stage.code();
        f.error = error.code();
        f.message = Identity.clip(Secrets.maskedUrls(message), Identity.MAX_TEXT_CHARS);
        f.eventJson = eventJson;
        f.eventTime = raw.timestamp;
        metrics.get(ParseMetrics.DOCUMENTS_INVALID).inc();
        ctx.output(DeadLetters.TAG, f);
    }

    /**
     * The event as dead letters repeat it: every text value longer than {@link #ELIDE_ABOVE} (inline content above all)
     * replaced by a marker, and the whole event by one when it is still longer than {@link #ELIDE_EVENT_ABOVE}, so a
     * dead letter stays far below Kafka's record size limit whatever the event held.
     */
    static JsonNode elide(JsonNode tree) {
        elideValues(tree);
        int length = Json.toString(tree).length();
        return length > ELIDE_EVENT_ABOVE ? TextNode.valueOf("<elided event of " + length + " characters>") : tree;
    }

    private static void elideValues(JsonNode node) {
        if (node instanceof ObjectNode) {
            ObjectNode o = (ObjectNode) node;
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode v = o.get(name);
                if (v.isTextual() && v.asText().length() > ELIDE_ABOVE) {
                    o.put(name, "<elided " + v.asText().length() + " characters>");
                } else {
                    elideValues(v);
                }
            }
        } else if (node instanceof ArrayNode) {
            ArrayNode a = (ArrayNode) node;
            for (int i = 0; i < a.size(); i++) {
                JsonNode v = a.get(i);
                if (v.isTextual() && v.asText().length() > ELIDE_ABOVE) {
                    a.set(i, TextNode.valueOf("<elided " + v.asText().length() + " characters>"));
                } else {
                    elideValues(v);
                }
            }
        }
    }

    /** Invalid JSON is kept as a JSON string (truncated) so the dead letter stays valid JSON. */
    static String rawText(byte[] value) {
        String s = value == null ? "" : new String(value, StandardCharsets.UTF_8);
        if (s.length() > 4096) {
            s = s.substring(0, 4096) + "...";
        }
        return Json.toString(s);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid event";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
