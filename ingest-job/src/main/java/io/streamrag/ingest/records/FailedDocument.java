package io.streamrag.ingest.records;

/** A dead letter inside the job (the event kept as JSON text so no JsonNode has to go through Kryo). */
public class FailedDocument {
    public String documentId;
    public String tenant;
    public Long version;
    /** parse, validate, fetch, extract, embed or index. */
    public String stage;
    public String error;
    public String message;
    /** Original event JSON (large inline content elided), or the raw text when it was not JSON. */
    public String eventJson;
    public long eventTime;

    public FailedDocument() {}

    @Override
    public String toString() {
        return documentId + " v" + version + " dead-lettered at " + stage + ": " + error + " (" + message + ")";
    }
}
