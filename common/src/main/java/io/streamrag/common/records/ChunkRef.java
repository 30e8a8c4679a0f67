package io.streamrag.common.records;

/** A retrieved or cited chunk in an answer: where the text came from and how well it matched. */
public class ChunkRef {
    public String documentId;
    /** 1-based physical page. */
    public int page;
    public String chunkId;
    /** {@code text}, {@code image} or {@code table}. */
    public String kind;
    public double score;

    public ChunkRef() {}

    public ChunkRef(String documentId, int page, String chunkId, String kind, double score) {
        this.documentId = documentId;
        this.page = page;
        this.chunkId = chunkId;
        this.kind = kind;
        this.score = score;
    }
}
