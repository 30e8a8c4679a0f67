package io.streamrag.common.records;

/** One searchable piece of a document as stored in the {@code rag-chunks} index. */
public class Chunk {
    /** Deterministic id {@code documentId:version:index}, so replays overwrite rather than duplicate. */
    public String chunkId;
    public String documentId;
    public String tenant;
    public long version;
    /** 1-based physical page where the chunk starts. */
    public int page;
    /** 1-based physical page where the chunk ends (same as page for most chunks). */
    public int pageEnd;
    /** {@code text}, {@code image} or {@code table}. */
    public String kind;
    public int chunkIndex;
    public String title;
    /** Nearest heading above the chunk, if any. */
    public String section;
    public String text;
    public String contentType;
    public String uri;
    /** Milliseconds since epoch at which the document event reached Kafka. */
    public long eventTime;
    public float[] embedding;

    public Chunk() {}

    public static String id(String documentId, long version, int index) {
        return documentId + ":" + version + ":" + index;
    }
}
