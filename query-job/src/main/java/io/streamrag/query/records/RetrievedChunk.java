package io.streamrag.query.records;

import io.streamrag.common.records.ChunkRef;

import java.util.ArrayList;
import java.util.List;

/** A retrieved chunk with its text (for prompts) and its fused score. */
public class RetrievedChunk {
    public String chunkId;
    public String documentId;
    public int page;
    /** Page where the chunk ends; 0 when unknown (read as {@link #page}). */
    public int pageEnd;
    /** Offsets in {@link #text} where pages {@code page + 1 ...} begin (the chunk's {@code pageBreaks}); null when unknown. */
    public int[] pageBreaks;
    public String kind;
    public String title;
    public String text;
    public double score;

    public RetrievedChunk() {}

    /** The chunk as retrieved: all the pages it covers. */
    public ChunkRef ref() {
        ChunkRef r = new ChunkRef(documentId, page, chunkId, kind, score);
        r.pageEnd = Math.max(page, pageEnd);
        return r;
    }

    /** The chunk cited on one page it covers (where the supporting text stands). */
    public ChunkRef refOn(int onPage) {
        ChunkRef r = new ChunkRef(documentId, onPage, chunkId, kind, score);
        r.pageEnd = onPage;
        return r;
    }

    /**
     * The chunk's text cut at its page breaks: element {@code i} is what stands on page {@code page + i} (empty for a
     * page without words); the whole text when no breaks are known. Malformed offsets are clamped, never thrown on.
     */
    public List<String> pageTexts() {
        String t = text == null ? "" : text;
        List<String> out = new ArrayList<>();
        int from = 0;
        if (pageBreaks != null) {
            for (int b : pageBreaks) {
                int to = Math.max(from, Math.min(b, t.length()));
                out.add(t.substring(from, to));
                from = to;
            }
        }
        out.add(t.substring(from));
        return out;
    }
}
