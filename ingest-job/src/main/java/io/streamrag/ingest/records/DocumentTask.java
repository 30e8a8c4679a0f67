package io.streamrag.ingest.records;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;

/** A validated document event: what every later stage needs to know about the document, minus its content. */
public class DocumentTask {
    public String documentId;
    public String tenant;
    /** Event version; defaults to the record timestamp for UPSERTs without one (see ParseDocumentEvent). */
    public long version;
    /** True when the event carried no version and {@link #version} was derived. */
    public boolean versionDefaulted;
    /**
     * The event's {@link Op} by name: a String because documents wait in Flink state (quarantine, OCR, assembly), where a
     * field's declared type cannot change without losing the savepoints of earlier releases.
     */
    public String op;
    public String contentType;
    public String uri;
    /** Inline content until it has been fetched; cleared afterwards. */
    public String contentBase64;
    public String title;
    /** Kafka record timestamp (or listing time for files), epoch millis. */
    public long eventTime;
    /** The original event JSON with large inline content elided, for dead letters. */
    public String eventJson;
    /** Highest version seen before this one (state or index); null when nothing was known. */
    public Long previousVersion;
    /**
     * True when {@link #previousVersion} is authoritative (from state, or the index was asked): a null then means
     * "never indexed" and the indexer can skip looking for older chunks to delete.
     */
    public boolean previousVersionKnown;
    /**
     * The event's place among its document's events, given by {@code VersionGate} (1, 2, ... per document, counted while
     * the gate remembers the document): orders events of equal {@link #version} where items may be reordered later
     * (the assembler after a rescale). 0 = unknown: an event that passed the gate of an earlier release (restored from
     * its savepoint), which keeps its arrival order among equal versions.
     */
    public long sequence;

    public DocumentTask() {}

    /** The document's identity, tenant and documentId (see {@code Chunk.documentKey}): the key of all per-document state. */
    public String key() {
        return Chunk.documentKey(tenant, documentId);
    }

    public boolean isDelete() {
        return Op.DELETE.name().equals(op);
    }

    @Override
    public String toString() {
        return documentId + " v" + version + (sequence > 0 ? " #" + sequence : "") + " " + op + " tenant=" + tenant;
    }
}
