package io.streamrag.common.records;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * A record on {@code documents.outcomes}: how one document event ended, exactly one per event, written
 * exactly-once (read with {@code isolation.level=read_committed}).
 */
public class IngestOutcome {

    /** How a document event ended; written as {@code indexed}, {@code deleted}, {@code stale} or {@code dead-lettered}. */
    public enum Outcome {
        INDEXED,
        DELETED,
        STALE,
        DEAD_LETTERED;

        /** The name on {@code documents.outcomes} (and in accumulator names): lower case, {@code -} for {@code _}. */
        @JsonValue
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public String documentId;
    public String tenant;
    /** Version the event was processed as (-1 when the event could not be parsed). */
    public long version;
    public Outcome outcome;
    /** Chunks written (indexed) or removed (deleted). */
    public int chunks;
    /** From the event's Kafka timestamp to the outcome (for indexed: chunks written, searchable after the next refresh). */
    public long latencyMs;
    /** Dead letters: the stage that gave up ({@code parse}, {@code validate}, {@code fetch}, {@code extract}, {@code embed}, {@code index}). */
    public String stage;
    /** Dead letters: the short error class, e.g. {@code LimitExceeded}. */
    public String error;
    /** Why: the dead letter's message, or for stale events the versions compared. */
    public String message;
    /** Kafka record timestamp of the event, epoch millis. */
    public long eventTime;
    /** When the outcome was reached, epoch millis. */
    public long finishedAt;

    public IngestOutcome() {}
}
