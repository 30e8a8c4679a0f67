package io.streamrag.common.records;

import java.util.LinkedHashMap;
import java.util.Map;

/** A document event on the {@code documents} topic (see CONTRACT.md); plain POJO so Flink serialises it without Kryo. */
public class DocumentEvent {

    /** What the event asks for. */
    public enum Op {
        UPSERT,
        DELETE
    }

    public String documentId;
    public String tenant;
    public Long version;
    public Op op;
    public String contentType;
    public String uri;
    public String contentBase64;
    public String title;
    public Map<String, String> metadata = new LinkedHashMap<>();

    public DocumentEvent() {}

    public Op opOrDefault() {
        return op == null ? Op.UPSERT : op;
    }

    @Override
    public String toString() {
        return "DocumentEvent{" + documentId + " v" + version + " " + opOrDefault() + " tenant=" + tenant + "}";
    }
}
