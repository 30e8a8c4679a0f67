package io.streamrag.ingest.records;

import io.streamrag.common.records.Chunk;

import java.util.ArrayList;

/** All chunks of one document version (none for a DELETE), travelling together so the indexer knows when it is done. */
public class ChunkedDocument {
    public DocumentTask task;
    public ArrayList<Chunk> chunks = new ArrayList<>();
    public int pageCount;
    public int imageCount;
    /**
     * Set by the embedder when this document left in a batch that several documents filled (input arriving faster than
     * the batch delay: a backlog), so the indexer leaves its visibility to the index's refresh schedule instead of
     * refreshing after it.
     */
    public boolean backlog;

    public ChunkedDocument() {}

    public ChunkedDocument(DocumentTask task) {
        this.task = task;
    }
}
