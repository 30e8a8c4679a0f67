package io.streamrag.common.records;

import com.fasterxml.jackson.databind.JsonNode;

/** A record on {@code documents.dlq}: why one document could not be indexed, with the original event. */
public class DeadLetter {
    public String documentId;
    public String tenant;
    public Long version;
    /** Pipeline stage that gave up: {@code parse}, {@code validate}, {@code fetch}, {@code extract}, {@code embed}, {@code index}. */
    public String stage;
    /** Short machine-readable error class, e.g. {@code EncryptedDocument}. */
    public String error;
    public String message;
    /** The original event, with inline content elided when large. */
    public JsonNode event;

    public DeadLetter() {}
}
