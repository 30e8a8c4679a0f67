package io.streamrag.ingest.records;

/** One undecoded document event as read from the source: bytes so bad JSON becomes a dead letter, not a crash. */
public class RawDocument {
    /** Record key (documentId on the documents topic); may be null. */
    public String key;
    /** The JSON event bytes. */
    public byte[] value;
    /** Kafka record timestamp, or the time a file was listed, in epoch millis. */
    public long timestamp;
    /** Where it came from, e.g. {@code documents-0@42} or {@code file}; for logs only. */
    public String origin;

    public RawDocument() {}

    public RawDocument(String key, byte[] value, long timestamp, String origin) {
        this.key = key;
        this.value = value;
        this.timestamp = timestamp;
        this.origin = origin;
    }
}
