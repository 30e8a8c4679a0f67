package io.streamrag.query.generate;

import io.streamrag.query.records.RetrievedChunk;

import java.util.List;

/** Retrieval for ITERDRAG follow-up questions, within the question's tenant. */
@FunctionalInterface
public interface FollowUpRetriever extends AutoCloseable {
    List<RetrievedChunk> retrieve(String tenant, String question, int k);

    /** Longest one retrieval may take (ms); the candidate also bounds it by its question's deadline. */
    default long timeoutMs() {
        return Long.MAX_VALUE;
    }

    /** Releases the retriever's clients; the generator that was given it calls this when it closes. */
    @Override
    default void close() {}
}
