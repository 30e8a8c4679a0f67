package io.streamrag.ingest.records;

import io.streamrag.common.records.Chunk;

import java.util.ArrayList;

/** All chunks of one document version (none for a DELETE), travelling together so the indexer knows when it is done. */
public class ChunkedDocument {
    public DocumentTask task;
    public ArrayList<Chunk> chunks = new ArrayList<>();
    public int pageCount;
    public int imageCount;

    public ChunkedDocument() {}

    public ChunkedDocument(DocumentTask task) {
        this.task = task;
    }
}
