package io.streamrag.ingest.records;

/** A document with its content bytes resolved and its content type known (empty for DELETEs). */
public class FetchedDocument {
    public DocumentTask task;
    public byte[] content;
    public String contentType;

    public FetchedDocument() {}

    public FetchedDocument(DocumentTask task, byte[] content, String contentType) {
        this.task = task;
        this.content = content;
        this.contentType = contentType;
    }
}
