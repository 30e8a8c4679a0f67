package io.streamrag.common.records;

/** A retrieved or cited chunk in an answer: where the text came from and how well it matched. */
public class ChunkRef {
    public String documentId;
    /**
     * 1-based physical page: where a retrieved chunk starts; for a citation, the page the supporting text stands on
     * (a chunk that runs over a page break is cited on the page that holds the answer).
     */
    public int page;
    /** 1-based page where a retrieved chunk ends (a citation's is its page); 0 in answers of earlier releases. */
    public int pageEnd;
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

    /** True when the referenced text lies on page {@code p}: a retrieved chunk's pages, a citation's page. */
    public boolean covers(int p) {
        return p >= page && p <= Math.max(page, pageEnd);
    }
}
