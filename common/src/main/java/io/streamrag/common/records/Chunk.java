package io.streamrag.common.records;

/** One searchable piece of a document as stored in the {@code rag-chunks} index. */
public class Chunk {
    /**
     * Deterministic id {@code tenant:documentId:version:index} (tenant with {@code %} and {@code :} percent-encoded),
     * so replays overwrite rather than duplicate and equal documentIds of two tenants never share an id.
     */
    public String chunkId;
    public String documentId;
    public String tenant;
    public long version;
    /** 1-based physical page where the chunk starts. */
    public int page;
    /** 1-based physical page where the chunk ends (same as page for most chunks). */
    public int pageEnd;
    /**
     * Where the pages after the first begin in {@link #text}: {@code pageBreaks[i]} is the character offset at which
     * page {@code page + 1 + i} starts (a page without words starts where the next one does); empty when the chunk
     * stays on one page. Null in chunks indexed before it existed: read them as starting on {@link #page}.
     */
    public int[] pageBreaks;
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

    /** The chunk id of a tenant's document version; see {@link #chunkId}. */
    public static String id(String tenant, String documentId, long version, int index) {
        return documentKey(tenant, documentId) + ":" + version + ":" + index;
    }

    /**
     * A document's identity across the pipeline, {@code tenant:documentId}: the tenant is percent-encoded
     * ({@code %} and {@code :}), so the first {@code :} always ends it and no two (tenant, documentId) pairs collide.
     */
    public static String documentKey(String tenant, String documentId) {
        return tenant.replace("%", "%25").replace(":", "%3A") + ":" + documentId;
    }

    /**
     * Ids of releases before tenants were part of identity ({@code documentId:version:index}).
     *
     * @deprecated two tenants' documents with one documentId collide; use {@link #id(String, String, long, int)}
     */
    @Deprecated
    public static String id(String documentId, long version, int index) {
        return documentId + ":" + version + ":" + index;
    }
}
