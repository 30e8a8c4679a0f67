package io.streamrag.query.records;

import io.streamrag.common.records.ChunkRef;

/** A retrieved chunk with its text (for prompts) and its fused score. */
public class RetrievedChunk {
    public String chunkId;
    public String documentId;
    public int page;
    public String kind;
    public String title;
    public String text;
    public double score;

    public RetrievedChunk() {}

    public ChunkRef ref() {
        return new ChunkRef(documentId, page, chunkId, kind, score);
    }
}
