package io.streamrag.query.records;

/** A question record as read from Kafka, before parsing, so bad JSON becomes a FAILED answer instead of a crash. */
public class RawQuestion {
    public String key;
    public byte[] value;
    public long timestamp;

    public RawQuestion() {}

    public RawQuestion(String key, byte[] value, long timestamp) {
        this.key = key;
        this.value = value;
        this.timestamp = timestamp;
    }
}
